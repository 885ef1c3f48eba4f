#include "httpd/nosni_log.h"

#include <cstring>
#include <new>
#include <string>

#include "http_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_time.h"

#include "core/client_hello.h"
#include "core/record.h"
#include "httpd/connection_state.h"
#include "httpd/log_writer.h"
#include "httpd/proxy_headers.h"
#include "httpd/request_state.h"
#include "httpd/server_config.h"
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
    record.client_ip = state.client_ip;
    record.client_port = state.client_port;
    if (!state.peer_ip.empty()) record.peer_ip = state.peer_ip;
    record.local_ip = c->local_ip;
    if (c->local_addr) record.local_port = c->local_addr->port;
    record.vhost = c->base_server->server_hostname;
    if (state.cert_vhost) record.cert_vhost = state.cert_vhost;
    record.sni_class = client_class_name(state.client_class);
    if (state.client_class != ClientClass::no_sni) record.sni = state.sni;
    if (state.offered_max_version) record.tls_offered_max = tls_version_name(state.offered_max_version);
    if (!state.tls_version.empty()) record.tls_version = state.tls_version;
    if (!state.cipher.empty()) record.cipher = state.cipher;
    record.alpn = state.offered_alpn;
    if (!state.ja4.empty()) {
        record.ja3 = state.ja3;
        record.ja3_hash = state.ja3_hash;
        record.ja4 = state.ja4;
    }
    if (state.client_name) record.client_name = *state.client_name;
    if (!state.outcome.empty()) record.outcome = state.outcome;
    record.source = state.from_proxy_headers ? "proxy-header" : "handshake";
}

const char *header(request_rec *r, const char *name) { return apr_table_get(r->headers_in, name); }

}  // namespace

int open_nosni_log(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *, server_rec *s) {
    const ModuleSettings &settings = server_config(s).module;
    nosni_log = nullptr;
    if (settings.log_target.kind == LogTarget::Kind::none) return OK;
    void *memory = apr_pcalloc(pconf, sizeof(LogWriter));
    auto *writer = new (memory) LogWriter();  // trivially destructible: nothing to clean up
    // Like CustomLog: a log that cannot be opened stops the (re)start, with the reason logged.
    if (!writer->open(pconf, s, settings.log_target)) return HTTP_INTERNAL_SERVER_ERROR;
    nosni_log = writer;
    nosni_log_format = settings.effective_log_format();
    apr_pool_cleanup_register(pconf, nullptr, forget_log, apr_pool_cleanup_null);
    return OK;
}

void end_handshake(ConnectionState &state) {
    if (state.handshake_ended || !state.is_fallback()) return;
    state.handshake_ended = true;
    const bool established = state.outcome == "established";
    count(class_counter(state.client_class,
                        established ? HandshakeStage::established : HandshakeStage::failed),
          state.connection->base_server);
    if (nosni_log == nullptr || !state.selected_at_handshake()) return;
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
}

namespace {

void log_request(request_rec *r, const ConnectionState &state, const RequestState &decided) {
    if (nosni_log == nullptr) return;
    request_rec *last = r;
    while (last->next) last = last->next;  // the final status, as mod_log_config's %>s
    Record record;
    record.time_us = apr_time_now();
    record.event = "request";
    if (state.rendered_connection.empty()) fill_connection(record, state);
    // The host httpd used to pick the vhost: an absolute-form request's, else the Host header's.
    if (r->hostname) record.host = r->hostname;
    else if (const char *host = header(r, "Host")) record.host = host;
    if (r->method) record.method = r->method;
    if (r->unparsed_uri) record.uri = r->unparsed_uri;
    if (r->protocol) record.protocol = r->protocol;
    if (const char *ua = header(r, "User-Agent")) record.user_agent = ua;
    record.action = decision_name(decided.decision.kind);
    record.enforced = decided.enforced;
    if (decided.decision.reason) record.reason = decided.decision.reason;
    if (decided.target) record.target = decided.target;
    record.status = last->status;
    nosni_log->write(state.rendered_connection.empty()
                         ? render(record)
                         : render_line(record, line_format(), state.rendered_connection),
                     r->server);
}

}  // namespace

int record_request(request_rec *r) {
    ConnectionState *state = proxied_state(r);
    if (state == nullptr) state = connection_state(r->connection);
    if (state == nullptr || !state->is_fallback()) return DECLINED;
    // Requests the module decided for; one httpd refused before that (a bad request line) is
    // recorded when its vhost selects the connection's class, as decided "none".
    RequestState refused;
    const RequestState *decided = find_request_state(r);
    // Only a proxy's facts were noted (proxy_headers.h): its vhost does not select the class.
    if (decided != nullptr && decided->vhost == nullptr) return DECLINED;
    if (decided == nullptr) {
        if (!server_config(r->server).vhost.effective_clients().contains(state->client_class)) {
            return DECLINED;
        }
        refused.vhost = r->server;
        decided = &refused;
    }
    count_request(decided->vhost, {state->client_class, decided->decision.kind, decided->enforced});
    if (state->selected_at_handshake()) {
        remember_client(*state, apr_table_get(r->headers_in, "User-Agent"));
    }
    log_request(r, *state, *decided);
    return DECLINED;
}

void log_probe(request_rec *r, const char *result, const char *page) {
    if (nosni_log == nullptr) return;
    Record record;
    record.event = "probe";
    record.time_us = apr_time_now();
    conn_rec *c = r->connection;
    record.client_ip = r->useragent_ip ? r->useragent_ip : c->client_ip;
    if (r->useragent_addr) record.client_port = r->useragent_addr->port;
    else if (c->client_addr) record.client_port = c->client_addr->port;
    if (r->useragent_ip && c->client_ip && strcmp(r->useragent_ip, c->client_ip) != 0) {
        record.peer_ip = c->client_ip;
    }
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
}

}  // namespace snifallback::glue
