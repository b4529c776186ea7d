/* follow_args.c - values of dcmsend's routing options (follow_args.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/follow_args.h"
#include "cli/send_args.h"
#include "cli/size_arg.h"

#include "core/banned.h"

int
follow_parse_duration(const char *s, int64_t *ms, struct cs_err *err)
{
	unsigned long long v, unit = 1000;
	char *end;

	if (strcmp(s, "forever") == 0) {
		*ms = -1;
		return 0;
	}
	errno = 0;
	v = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
	if (s[0] < '0' || s[0] > '9' || errno != 0)
		goto bad;
	if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else if (strcmp(end, "d") == 0)
		unit = 86400000;
	else if (strcmp(end, "") != 0 && strcmp(end, "s") != 0)
		goto bad;
	if (v > 100ull * 365 * 86400000 / unit)
		goto bad;
	*ms = (int64_t)(v * unit);
	return 0;
bad:
	return cs_err_set(err, CS_E_INVAL,
	    "duration '%s': a number of seconds, optionally with s, m, h or d, or 'forever'",
	    s);
}

int
follow_parse_rate(const char *s, uint64_t *rate, struct cs_err *err)
{
	uint64_t v;

	/* the floor: below it dcmrecv's progress deadline would abort */
	if (cli_size_value(s, &v) == 0 && v >= 1000 &&
	    v <= UINT64_C(100) << 30) {
		*rate = v;
		return 0;
	}
	return cs_err_set(err, CS_E_INVAL,
	    "rate '%s': bytes per second, 1000 to 100G, optionally with K, M, G (powers of 1024; KB, MB, GB powers of 1000)",
	    s);
}

/* The routing options' combinations with the others. */
void
follow_args_check(const struct send_args *a)
{
	if (a->follow && a->echo)
		cli_usage_error("--follow and --echo exclude each other");
	if (a->follow && a->send.dry_run)
		cli_usage_error("--follow and --dry-run exclude each other");
	if (a->follow && (a->send.jobs > 1 || a->send.per_assoc > 0))
		cli_usage_error("--follow sends over one association: no %s",
		    a->send.jobs > 1 ? "-j" : "--per-assoc");
	/* the report must come on the association that stays open */
	if (a->follow && a->commit_listen)
		cli_usage_error(
		    "--follow and --commit-listen cannot be combined yet");
	if ((a->retry_for_set || a->idle_set) && !a->follow)
		cli_usage_error("%s needs --follow",
		    a->retry_for_set ? "--retry-for" : "--idle");
	/* a dry run sends nothing, a C-ECHO included */
	if (a->echo && a->send.dry_run)
		cli_usage_error("--echo and --dry-run exclude each other");
	if (a->remove_sent && (a->send.dry_run || a->echo))
		cli_usage_error("--remove-sent sends: not with %s",
		    a->echo ? "--echo" : "--dry-run");
	if (a->send.limit_rate > 0 && a->echo)
		cli_usage_error("--limit-rate sends: not with --echo");
}
