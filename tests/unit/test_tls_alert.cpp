#include <catch2/catch.hpp>

#include "core/tls_alert.h"

TEST_CASE("TLS alert descriptions have their registry names") {
    auto [code, name] = GENERATE(table<int, const char *>({
        {0, "close_notify"},
        {40, "handshake_failure"},
        {42, "bad_certificate"},
        {46, "certificate_unknown"},
        {48, "unknown_ca"},
        {70, "protocol_version"},
        {112, "unrecognized_name"},
        {116, "certificate_required"},
        {120, "no_application_protocol"},
        {7, "alert_7"},
        {255, "alert_255"},
    }));
    CHECK(snifallback::tls_alert_name(static_cast<std::uint8_t>(code)) == name);
}
