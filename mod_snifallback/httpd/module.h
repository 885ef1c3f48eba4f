// The module record, and what every glue file needs to log under it.
#pragma once

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

extern "C" module AP_MODULE_DECLARE_DATA snifallback_module;

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(snifallback);
#endif
