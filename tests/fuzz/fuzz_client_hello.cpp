// libFuzzer target over the ClientHello parser and both fingerprints (and the other parsers of
// bytes a client controls: the PROXY protocol header, a proxy's header values): arbitrary bytes
// in, never a crash, an out-of-bounds read (ASan) or undefined behaviour (UBSan); a few invariants
// besides. Built with clang -fsanitize=fuzzer,address,undefined by scripts/fuzz.sh; the same file
// also builds with a small replay main (fuzz_replay.cpp) under any compiler, so it cannot rot.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/client_hello.h"
#include "core/fingerprint.h"
#include "core/proxy_facts.h"
#include "core/proxy_header.h"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

void fingerprint(const snifallback::ClientHello &hello) {
    const std::string ja3 = snifallback::ja3_string(hello);
    const std::string hash = snifallback::ja3_hash(ja3);
    check(hash.size() == 32);
    const std::string ja4 = snifallback::ja4(hello);
    const std::string ja4_r = snifallback::ja4_r(hello);
    // "t13d1516h2_8daaf6152771_e5627efa2ab1": a fixed 36 characters, and the raw form shares part
    // a.
    check(ja4.size() == 36 && ja4[10] == '_' && ja4[23] == '_');
    check(ja4_r.compare(0, 11, ja4, 0, 11) == 0);
    check(hello.sni.size() <= snifallback::ParseLimits::max_name_bytes);
    check(hello.cipher_suites.size() <= snifallback::ParseLimits::max_cipher_suites);
    check(hello.extensions.size() <= snifallback::ParseLimits::max_extensions);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    snifallback::ClientHello hello;
    // Both explicit entry points, whatever the first byte says, then the dispatching one.
    const auto scan = snifallback::scan_for_sni(data, size);
    if (snifallback::parse_client_hello_message(data, size, hello) == snifallback::ParseError::ok) {
        fingerprint(hello);
        // The module's fast path must agree with the full parser wherever the parser accepts.
        check(scan == (hello.sni_present ? snifallback::SniScan::present
                                         : snifallback::SniScan::absent));
    }
    if (snifallback::parse_client_hello_records(data, size, hello) == snifallback::ParseError::ok) {
        fingerprint(hello);
    }
    if (snifallback::parse_sslv2_client_hello_message(data, size, hello) ==
        snifallback::ParseError::ok) {
        fingerprint(hello);
        check(hello.sslv2_format && !hello.sni_present && hello.extensions.empty());
    }
    const snifallback::ParseError error = snifallback::parse_client_hello(data, size, hello);
    check(snifallback::to_string(error) != nullptr);
    if (error == snifallback::ParseError::ok) fingerprint(hello);

    snifallback::ProxiedAddress address;
    if (snifallback::scan_proxy_header(data, size, address) ==
        snifallback::ProxyHeaderScan::found) {
        check(!address.ip.empty() && address.ip.size() <= 45);
    }
    // The same bytes as four header values, split at NUL bytes (headers hold none).
    const std::string text(reinterpret_cast<const char *>(data), size);
    std::string values[4];
    std::size_t at = 0;
    for (std::string &value : values) {
        if (at > text.size()) break;
        const std::size_t end = std::min(text.find('\0', at), text.size());
        value = text.substr(at, end - at);
        at = end + 1;
    }
    if (const auto facts = snifallback::read_proxy_facts(values[0].c_str(), values[1].c_str(),
                                                         values[2].c_str(), values[3].c_str())) {
        check(facts->sni.size() <= snifallback::max_proxy_sni);
        check(facts->ja4.size() <= snifallback::max_proxy_ja4);
        check(facts->ja3_hash.empty() || facts->ja3_hash.size() == 32);
    }
    return 0;
}
