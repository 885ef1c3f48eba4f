// The no-SNI log: fills the core's record from connection and request, and hands the rendered
// line to the log writer. The glue never formats; the core never sees a pool.
#include <new>
#include <string>

#include "httpd/glue.h"

#include "http_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_time.h"

#include "core/client_hello.h"
#include "core/record.h"
#include "httpd/shared_stats.h"

namespace snifallback::glue {
namespace {

// The log of the current configuration generation: opened by the parent in open_logs, inherited
// by the children; reset when the generation's pool goes away.
LogWriter *nosni_log = nullptr;
LogFormat nosni_log_format = LogFormat::json;

apr_status_t forget_log(void *) {
    nosni_log = nullptr;
    return APR_SUCCESS;
}

LineFormat line_format() {
    return nosni_log_format == LogFormat::logfmt ? LineFormat::logfmt : LineFormat::json;
}

std::string render(const Record &record) {
    return nosni_log_format == LogFormat::logfmt ? render_logfmt(record) : render_json(record);
}

void fill_connection(Record &record, const ConnectionState &state) {
    conn_rec *c = state.connection;
    record.client_ip = c->client_ip;
    if (c->client_addr) record.client_port = c->client_addr->port;
    record.local_ip = c->local_ip;
    if (c->local_addr) record.local_port = c->local_addr->port;
    record.vhost = c->base_server->server_hostname;
    if (state.cert_vhost) record.cert_vhost = state.cert_vhost;
    if (state.offered_max_version) record.tls_offered_max = tls_version_name(state.offered_max_version);
    if (!state.tls_version.empty()) record.tls_version = state.tls_version;
    if (!state.cipher.empty()) record.cipher = state.cipher;
    record.alpn = state.offered_alpn;
    if (!state.ja4.empty()) {
        record.ja3 = state.ja3;
        record.ja3_hash = state.ja3_hash;
        record.ja4 = state.ja4;
    }
    if (!state.outcome.empty()) record.outcome = state.outcome;
}

const char *header(request_rec *r, const char *name) { return apr_table_get(r->headers_in, name); }

}  // namespace

int open_nosni_log(apr_pool_t *pconf, server_rec *s) {
    const ServerConfig *config = server_config(s);
    nosni_log = nullptr;
    if (config == nullptr || config->log_target.kind == LogTarget::Kind::none) return OK;
    void *memory = apr_pcalloc(pconf, sizeof(LogWriter));
    auto *writer = new (memory) LogWriter();  // trivially destructible: nothing to clean up
    // Like CustomLog: a log that cannot be opened stops the (re)start, with the reason logged.
    if (!writer->open(pconf, s, config->log_target)) return HTTP_INTERNAL_SERVER_ERROR;
    nosni_log = writer;
    nosni_log_format = effective_log_format(*config);
    apr_pool_cleanup_register(pconf, nullptr, forget_log, apr_pool_cleanup_null);
    return OK;
}

void log_handshake(ConnectionState &state) noexcept {
    if (state.handshake_logged || state.sni != ConnectionState::Sni::absent) return;
    state.handshake_logged = true;
    count_handshake_end(state.connection->base_server, state.outcome == "established");
    if (nosni_log == nullptr) return;
    try {
        Record record;
        record.time_us = apr_time_now();
        record.event = "handshake";
        fill_connection(record, state);
        // An established connection's fields are frozen from here on (the message callback is
        // gone): its request records reuse them as rendered now.
        if (state.outcome == "established") {
            state.rendered_connection = render_connection_fields(record, line_format());
            nosni_log->write(render_line(record, line_format(), state.rendered_connection),
                             state.connection->base_server);
        } else {
            nosni_log->write(render(record), state.connection->base_server);
        }
    } catch (...) {
        // A record is never worth a connection: drop it.
    }
}

void log_request(request_rec *r, ConnectionState &state) noexcept {
    if (nosni_log == nullptr) return;
    try {
        request_rec *last = r;
        while (last->next) last = last->next;  // the final status, as mod_log_config's %>s
        Record record;
        record.time_us = apr_time_now();
        record.event = "request";
        if (state.rendered_connection.empty()) fill_connection(record, state);
        if (const char *host = header(r, "Host")) record.host = host;
        else if (r->hostname) record.host = r->hostname;
        if (r->method) record.method = r->method;
        if (r->unparsed_uri) record.uri = r->unparsed_uri;
        if (r->protocol) record.protocol = r->protocol;
        if (const char *ua = header(r, "User-Agent")) record.user_agent = ua;
        const char *action = apr_table_get(r->subprocess_env, "SNIFALLBACK_ACTION");
        record.action = action ? action : "none";
        if (const char *reason = apr_table_get(r->notes, "snifallback-reason")) record.reason = reason;
        if (const char *target = apr_table_get(r->notes, "snifallback-target")) record.target = target;
        record.status = last->status;
        nosni_log->write(state.rendered_connection.empty()
                             ? render(record)
                             : render_line(record, line_format(), state.rendered_connection),
                         r->server);
    } catch (...) {
    }
}

void log_probe(request_rec *r, const char *result, const char *page) noexcept {
    if (nosni_log == nullptr) return;
    try {
        Record record;
        record.event = "probe";
        record.time_us = apr_time_now();
        conn_rec *c = r->connection;
        record.client_ip = r->useragent_ip ? r->useragent_ip : c->client_ip;
        if (c->client_addr) record.client_port = c->client_addr->port;
        record.local_ip = c->local_ip;
        if (c->local_addr) record.local_port = c->local_addr->port;
        record.vhost = r->server->server_hostname;
        if (const char *host = header(r, "Host")) record.host = host;
        if (r->method) record.method = r->method;
        if (r->unparsed_uri) record.uri = r->unparsed_uri;
        if (r->protocol) record.protocol = r->protocol;
        if (const char *ua = header(r, "User-Agent")) record.user_agent = ua;
        record.status = HTTP_NO_CONTENT;
        record.result = result;
        if (page) record.page = page;
        nosni_log->write(render(record), r->server);
    } catch (...) {
    }
}

}  // namespace snifallback::glue
