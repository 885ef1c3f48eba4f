// A request record with every field set to a plausible value, for the record and logfmt reader
// tests to start from (test_record.cpp, test_logfmt_reader.cpp).
#pragma once

#include <string>
#include <vector>

#include "core/record.h"

inline snifallback::Record sample_request() {
    using snifallback::Record;
    Record r;
    r.time_us = 1795420862345678;
    r.event = "request";
    r.client_ip = "192.0.2.7";
    r.client_port = 50123;
    r.peer_ip = "198.51.100.9";
    r.source = "handshake";
    r.local_ip = "198.51.100.1";
    r.local_port = 443;
    r.vhost = "default.test";
    r.cert_vhost = "legacy.test";
    r.sni_class = "no-sni";
    r.tls_offered_max = "TLSv1.3";
    r.tls_version = "TLSv1.2";
    r.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
    r.alpn = std::vector<std::string>{"h2", "http/1.1"};
    r.ja3 = "771,4865-4866,0-23-65281,29-23,0";
    r.ja3_hash = "cd08e31494f9531f560d64c695473da9";
    r.ja4 = "t13i1516h2_8daaf6152771_02713d6af862";
    r.client_name = "curl 7.88.1";
    r.outcome = "established";
    r.host = "192.0.2.1";
    r.method = "GET";
    r.uri = "/index.html?a=b";
    r.protocol = "HTTP/1.1";
    r.user_agent = "curl/7.88.1";
    r.action = "exempt";
    r.enforced = true;
    r.reason = "ip-literal";
    r.status = 200;
    return r;
}
