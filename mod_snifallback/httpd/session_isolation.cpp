#include "httpd/session_isolation.h"

#include <string>

#include <openssl/evp.h>

#include "httpd/connection_state.h"
#include "httpd/openssl_errors.h"
#include "httpd/server_config.h"

namespace snifallback::glue {
namespace {

void append_field(std::string &out, const char *text) {
    if (text != nullptr) out += text;
    out += '\0';
}

}  // namespace

void isolate_fallback_sessions(const ConnectionState &state, SSL *ssl) {
    const server_rec *address = state.connection->base_server;
    const FallbackCertificateSetting &fallback = server_config(address).vhost.fallback_certificate;
    std::string material = "mod_snifallback session context";
    material += '\0';
    append_field(material, address->server_hostname);
    material += std::to_string(address->addrs ? address->addrs->host_port : address->port);
    material += '\0';
    append_field(material, fallback.name);
    material += std::to_string(fallback.port);
    material += '\0';
    append_field(material, state.classified ? client_class_name(state.client_class) : "unread");
    material += state.sni;  // the name an ip-literal or unknown-name client sent, raw
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    const char *failed = nullptr;
    if (EVP_Digest(material.data(), material.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        // Without a digest, still a context no vhost has: sessions then do not resume at all.
        failed = "EVP_Digest (its sessions will not resume)";
        length = 1;
        digest[0] = 0;
    }
    if (length > SSL_MAX_SID_CTX_LENGTH) length = SSL_MAX_SID_CTX_LENGTH;
    if (SSL_set_session_id_context(ssl, digest, length) != 1) {
        failed = "SSL_set_session_id_context (it keeps the address's session context)";
    }
    if (failed != nullptr) {
        const std::string errors = take_openssl_errors();
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, state.connection,
                      "SNIF0077: cannot give this fallback handshake a session context of its "
                      "own: %s failed: %s",
                      failed, errors.c_str());
    }
}

}  // namespace snifallback::glue
