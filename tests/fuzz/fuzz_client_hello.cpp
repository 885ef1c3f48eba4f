// libFuzzer target over the ClientHello parser and both fingerprints: arbitrary bytes in, never a
// crash, an out-of-bounds read (ASan) or undefined behaviour (UBSan); a few invariants besides.
// Built with clang -fsanitize=fuzzer,address,undefined by scripts/fuzz.sh; the same file also
// builds with a small replay main (fuzz_replay.cpp) under any compiler, so it cannot rot.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/client_hello.h"
#include "core/fingerprint.h"

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
    return 0;
}
