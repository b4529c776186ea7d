/* config.c - the defaults of storescu_config and storescu_send_opts. */
#include <string.h>

#include "cstore/storescu.h"
#include "core/ul_assoc.h"
#include "storescu/session.h"

#include "core/banned.h"

_Static_assert(STORESCU_DEFAULT_MAX_PDU == UL_DEFAULT_MAX_PDU,
    "storescu.h promises the engine's default");

void
storescu_config_init(struct storescu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->calling_ae = STORESCU_DEFAULT_CALLING_AE;
	cfg->called_ae = STORESCU_DEFAULT_CALLED_AE;
	cfg->max_pdu = 0;
	cfg->connect_timeout_ms = STORESCU_DEFAULT_CONNECT_TIMEOUT_MS;
	cfg->acse_timeout_ms = STORESCU_DEFAULT_ACSE_TIMEOUT_MS;
	cfg->dimse_timeout_ms = STORESCU_DEFAULT_DIMSE_TIMEOUT_MS;
}

void
storescu_send_opts_init(struct storescu_send_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->jobs = 1;
	o->retry_delay_ms = STORESCU_DEFAULT_RETRY_DELAY_MS;
	o->async_window = STORESCU_DEFAULT_WINDOW;
	o->commit_listen_fd = -1; /* storage commitment: no listener */
}

int
scu_check_peer(const struct storescu_config *cfg, struct cs_err *err)
{
	/* getaddrinfo(3) would take a NULL host for the loopback address,
	 * and the messages would name it "(null)" */
	if (cfg->host == NULL || cfg->host[0] == '\0')
		return cs_err_set(err, CS_E_INVAL,
		    "no peer host given (storescu_config.host is %s)",
		    cfg->host == NULL ? "NULL" : "empty");
	if (cfg->port == NULL || cfg->port[0] == '\0')
		return cs_err_set(err, CS_E_INVAL,
		    "no peer port given (storescu_config.port is %s)",
		    cfg->port == NULL ? "NULL" : "empty");
	return 0;
}
