#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "core/tls_constants.h"
#include "core/tls_protocol.h"

using snifallback::ProtocolSet;
namespace tls = snifallback::tls;

namespace {

std::vector<std::string_view> words(const std::vector<const char *> &list) {
    return std::vector<std::string_view>(list.begin(), list.end());
}

}  // namespace

TEST_CASE("SSLProtocol syntax gives the range mod_ssl would set", "[tls_protocol]") {
    using Case = std::tuple<std::vector<const char *>, std::uint16_t, std::uint16_t>;
    auto [list, lowest, highest] = GENERATE(table<std::vector<const char *>, std::uint16_t,
                                                  std::uint16_t>({
        Case{{"all"}, tls::version_1_0, tls::version_1_3},
        Case{{"all", "-SSLv3"}, tls::version_1_0, tls::version_1_3},
        Case{{"all", "-TLSv1", "-TLSv1.1"}, tls::version_1_2, tls::version_1_3},
        Case{{"TLSv1", "+TLSv1.1"}, tls::version_1_0, tls::version_1_1},
        Case{{"tlsv1.2"}, tls::version_1_2, tls::version_1_2},
        Case{{"TLSv1.3", "TLSv1"}, tls::version_1_0, tls::version_1_0},  // no sign: replaces
        Case{{"+SSLv3", "+TLSv1.2"}, tls::version_ssl3, tls::version_1_2},
    }));
    ProtocolSet set;
    REQUIRE(snifallback::parse_protocols(words(list), set).empty());
    CHECK(set.lowest() == lowest);
    CHECK(set.highest() == highest);
}

TEST_CASE("bad SSLProtocol words are named", "[tls_protocol]") {
    ProtocolSet set;
    CHECK(snifallback::parse_protocols(words({"all", "-TLS1"}), set) ==
          "unknown protocol '-TLS1'; use SSLProtocol's words: all, SSLv3, TLSv1, TLSv1.1, "
          "TLSv1.2, TLSv1.3, each optionally preceded by + or -");
    CHECK(snifallback::parse_protocols(words({"all", "-all"}), set) ==
          "no protocol is left enabled");
    CHECK(snifallback::parse_protocols(words({"+"}), set).rfind("unknown protocol '+'", 0) == 0);
}

TEST_CASE("the security level a cipher string sets", "[tls_protocol]") {
    CHECK(snifallback::cipher_string_security_level("DEFAULT:@SECLEVEL=0") == 0);
    CHECK(snifallback::cipher_string_security_level("@SECLEVEL=1:HIGH:@SECLEVEL=3") == 3);
    CHECK(snifallback::cipher_string_security_level("HIGH:!aNULL") == -1);
    CHECK(snifallback::cipher_string_security_level("@SECLEVEL=") == -1);
    CHECK(snifallback::protocol_name(tls::version_1_0) == "TLSv1");
    CHECK(snifallback::protocol_name(tls::version_1_1) == "TLSv1.1");
}
