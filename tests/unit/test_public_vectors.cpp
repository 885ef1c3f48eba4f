// Table-driven check of the parser and fingerprints against ClientHello vectors in JSON lines:
//
//   snifallback_public_vectors VECTORS.jsonl [Catch2 options]
//
// Each line holds `id`, `record_hex`, `handshake_hex` and `expected` {ja3_string, ja3_md5, ja4,
// ja4_r, sni_present, sni, alpn, highest_version} (optionally a top-level `alpn_hex` with the exact
// ALPN bytes). Both hex forms of every vector are parsed and checked on every field. The same
// program runs the public vectors (read in place from ../shared, path from CMake) and the project's
// own tests/data/client_hellos.jsonl. A missing file exits with 77, which CTest reports as skipped
// where the test sets SKIP_RETURN_CODE; a file without vectors fails.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/client_hello.h"
#include "core/fingerprint.h"
#include "core/hex.h"
#include "core/record.h"
#include "json_lite.h"

namespace {

constexpr int exit_skip = 77;

struct Vector {
    std::string id;
    std::string record_hex;
    std::string handshake_hex;
    json_lite::Value expected;
    std::vector<std::string> alpn;  // exact bytes
};

std::string g_path;
std::vector<Vector> g_vectors;
std::set<std::string> g_mismatched;

std::string version_text(std::uint16_t version) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%04x", unsigned{version});
    return text;
}

std::vector<std::string> expected_alpn(const json_lite::Value &line) {
    std::vector<std::string> out;
    if (line["alpn_hex"].type == json_lite::Value::Type::array) {
        for (const auto &item : line["alpn_hex"].items) {
            std::vector<std::uint8_t> bytes;
            if (!snifallback::decode_hex(item.str(), bytes)) throw std::runtime_error("alpn_hex");
            out.emplace_back(bytes.begin(), bytes.end());
        }
    } else {
        for (const auto &item : line["expected"]["alpn"].items) out.push_back(item.str());
    }
    return out;
}

void load(const std::string &path) {
    std::ifstream file(path);
    std::string text;
    int line_number = 0;
    while (std::getline(file, text)) {
        ++line_number;
        if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
        try {
            const json_lite::Value line = json_lite::parse(text);
            Vector v;
            v.id = line["id"].str();
            v.record_hex = line["record_hex"].str();
            v.handshake_hex = line["handshake_hex"].str();
            v.expected = line["expected"];
            v.alpn = expected_alpn(line);
            g_vectors.push_back(std::move(v));
        } catch (const std::exception &e) {
            throw std::runtime_error(path + ":" + std::to_string(line_number) + ": " + e.what());
        }
    }
}

// Parses one hex form and checks every field; false if any differs.
bool check_form(const Vector &v, const std::string &form, const std::string &hex) {
    INFO("vector " << v.id << " from " << form);
    std::vector<std::uint8_t> bytes;
    REQUIRE(snifallback::decode_hex(hex, bytes));
    snifallback::ClientHello hello;
    const snifallback::ParseError status =
        snifallback::parse_client_hello(bytes.data(), bytes.size(), hello);
    CHECK(std::string(snifallback::to_string(status)) == "ok");
    if (status != snifallback::ParseError::ok) return false;

    const json_lite::Value &e = v.expected;
    const std::string ja3 = snifallback::ja3_string(hello);
    const std::string ja3_md5 = snifallback::ja3_hash(ja3);
    const std::string ja4 = snifallback::ja4(hello);
    const std::string ja4_r = snifallback::ja4_r(hello);
    const std::string highest = version_text(hello.highest_version);
    const bool sni_present = e["sni_present"].truth();
    const std::string sni = sni_present ? e["sni"].str() : std::string();

    CHECK(ja3 == e["ja3_string"].str());
    CHECK(ja3_md5 == e["ja3_md5"].str());
    CHECK(ja4 == e["ja4"].str());
    CHECK(ja4_r == e["ja4_r"].str());
    CHECK(hello.sni_present == sni_present);
    CHECK(hello.sni == sni);
    CHECK(hello.alpn == v.alpn);
    CHECK(highest == e["highest_version"].str());
    return ja3 == e["ja3_string"].str() && ja3_md5 == e["ja3_md5"].str() && ja4 == e["ja4"].str() &&
           ja4_r == e["ja4_r"].str() && hello.sni_present == sni_present && hello.sni == sni &&
           hello.alpn == v.alpn && highest == e["highest_version"].str();
}

}  // namespace

TEST_CASE("ClientHello vectors: parse and fingerprint from records and from the handshake") {
    REQUIRE(!g_vectors.empty());
    const auto index = GENERATE(range(std::size_t{0}, g_vectors.size()));
    const Vector &v = g_vectors[index];
    const bool from_records = check_form(v, "record_hex", v.record_hex);
    const bool from_handshake = check_form(v, "handshake_hex", v.handshake_hex);
    if (!from_records || !from_handshake) g_mismatched.insert(v.id);
}

TEST_CASE("ClientHello vectors: the log holds every JA3 text whole, in both formats") {
    REQUIRE(!g_vectors.empty());
    const auto index = GENERATE(range(std::size_t{0}, g_vectors.size()));
    const Vector &v = g_vectors[index];
    INFO(v.id);
    snifallback::Record record;
    record.event = "handshake";
    record.ja3 = v.expected["ja3_string"].str();
    for (const std::string &line : {snifallback::render_json(record),
                                    snifallback::render_logfmt(record)}) {
        CHECK(line.find(std::string(snifallback::truncation_marker)) == std::string::npos);
        CHECK(line.find(*record.ja3) != std::string::npos);
    }
}

int main(int argc, char *argv[]) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s VECTORS.jsonl [Catch2 options]\n", argv[0]);
        return 2;
    }
    g_path = argv[1];
    if (!std::ifstream(g_path)) {
        std::printf("SKIP: vector file %s is absent\n", g_path.c_str());
        return exit_skip;
    }
    try {
        load(g_path);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    if (g_vectors.empty()) {
        std::fprintf(stderr, "%s: no vectors\n", g_path.c_str());
        return 1;
    }
    // Catch2 sees the program name and the options after the vector file.
    argv[1] = argv[0];
    Catch::Session session;
    const int result = session.run(argc - 1, argv + 1);
    std::printf("%s: %zu of %zu vectors match on every field (records and handshake)\n",
                g_path.c_str(), g_vectors.size() - g_mismatched.size(), g_vectors.size());
    for (const auto &id : g_mismatched) std::printf("  mismatch: %s\n", id.c_str());
    return result;
}
