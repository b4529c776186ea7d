/* config.c - storescp_config_init: the defaults, named in storescp.h. */
#include <string.h>

#include "cstore/storescp.h"
#include "core/banned.h"

void
storescp_config_init(struct storescp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = "0";
	cfg->aet = STORESCP_DEFAULT_AET;
	cfg->output_dir = STORESCP_DEFAULT_OUTPUT_DIR;
	cfg->layout = STORESCP_DEFAULT_LAYOUT;
	cfg->on_duplicate = STORESCP_DUP_OVERWRITE;
	cfg->max_associations = STORESCP_DEFAULT_MAX_ASSOCIATIONS;
	cfg->max_pdu = STORESCP_DEFAULT_MAX_PDU;
	cfg->timeout_ms = STORESCP_DEFAULT_TIMEOUT_MS;
	cfg->grace_ms = STORESCP_DEFAULT_GRACE_MS;
	cfg->log_level = STORESCP_LOG_ERROR;
	cfg->async_window = STORESCP_DEFAULT_ASYNC_WINDOW;
	cfg->proxy_protocol = 0;
	cfg->reuse_port = 0;
	cfg->listen_fd = STORESCP_NO_LISTEN_FD;
	cfg->rq_timeout_ms = STORESCP_DEFAULT_RQ_TIMEOUT_MS;
	cfg->max_pending = STORESCP_DEFAULT_MAX_PENDING;
	cfg->min_rate = STORESCP_DEFAULT_MIN_RATE;
}
