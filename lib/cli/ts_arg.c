/* ts_arg.c - a transfer syntax named on a command line (ts_arg.h). */
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "cli/cli.h"
#include "cli/ts_arg.h"
#include "core/ts.h"
#include "core/banned.h"

const char *
cli_ts_arg(const char *arg)
{
	struct cs_err err = { 0, "" };
	const char *uid;
	char names[2048];
	size_t i, k = 0;

	if (storescp_ts_uid(arg, &uid, &err) == 0)
		return uid;
	/* the names of the one table (data/transfer-syntaxes.tsv) */
	names[0] = '\0';
	for (i = 0; i < ts_table_len && k < sizeof(names); i++) {
		const struct ts_entry *t = &ts_table[i];

		k +=
		    (size_t)snprintf(names + k, sizeof(names) - k, "%s%s%s%s%s",
			i ? ", " : "", t->keyword, t->aliases[0] ? " (" : "",
			t->aliases, t->aliases[0] ? ")" : "");
	}
	cli_usage_error("unknown transfer syntax '%s': a UID, a PS3.6 transfer "
			"syntax keyword, or one of these names (any letter "
			"case; aliases in parentheses): %s",
	    arg, names);
}
