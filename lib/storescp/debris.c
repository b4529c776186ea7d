/*
 * debris.c - the receiver's output directory at startup: the limits
 * the sink applies, and the sweep of temporary files whose owner is
 * gone (sink_dir.h, sink_owner.h).
 */
#include <string.h>

#include "storescp/scp.h"
#include "storescp/sink_dir.h"

#include "core/banned.h"

int
scp_debris_init(struct storescp *s, struct cs_err *err)
{
	struct cs_err swept = { 0, "" };
	unsigned depth = 0, removed = 0;
	const char *p;

	s->root.min_free = s->cfg.min_free_space;
	if (s->cfg.quarantine_dir != NULL) {
		if (sink_root_open_as(&s->qroot, s->cfg.quarantine_dir,
			"quarantine directory", err) != 0)
			return CS_E_IO;
		s->has_qroot = 1;
	}
	/* a temporary file lives in its object's directory: as deep as
	 * the layout's separators go */
	for (p = s->layout.tmpl; *p != '\0'; p++)
		depth += *p == '/';
	if (sink_root_sweep(&s->root, depth, &removed, &swept) != 0 ||
	    swept.msg[0] != '\0')
		scp_log(s, STORESCP_LOG_ERROR, "warning: %s", swept.msg);
	if (removed > 0)
		scp_log(s, STORESCP_LOG_VERBOSE,
		    "removed %u temporary file%s of receivers that are gone",
		    removed, removed == 1 ? "" : "s");
	return 0;
}

void
scp_debris_release(struct storescp *s)
{
	if (s->has_qroot)
		sink_root_close(&s->qroot);
	s->has_qroot = 0;
}
