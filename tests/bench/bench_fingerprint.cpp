// Cost of fingerprinting one ClientHello, as the module pays it per no-SNI handshake:
//
//   snifallback_bench_fingerprint [benchmark options] VECTORS.jsonl...
//
// Cycles through every vector of the given files (handshake form, as OpenSSL's message callback
// hands it over, and record form) and times parse, JA3 text + MD5, JA4, and all of them together.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/client_hello.h"
#include "core/fingerprint.h"
#include "core/hex.h"
#include "json_lite.h"

namespace {

using Hello = std::vector<std::uint8_t>;

std::vector<Hello> g_handshakes;
std::vector<Hello> g_records;

bool load(const char *path) {
    std::ifstream file(path);
    if (!file) return false;
    std::string line;
    while (std::getline(file, line)) {
        if (line.find('{') == std::string::npos) continue;
        const json_lite::Value v = json_lite::parse(line);
        Hello bytes;
        if (snifallback::decode_hex(v["handshake_hex"].str(), bytes)) g_handshakes.push_back(bytes);
        if (snifallback::decode_hex(v["record_hex"].str(), bytes)) g_records.push_back(bytes);
    }
    return true;
}

// One ClientHello object reused across iterations, as a long-lived caller would.
void parse_only(benchmark::State &state, const std::vector<Hello> *hellos) {
    snifallback::ClientHello hello;
    std::size_t i = 0;
    for (auto _ : state) {
        const Hello &h = (*hellos)[i++ % hellos->size()];
        benchmark::DoNotOptimize(snifallback::parse_client_hello(h.data(), h.size(), hello));
    }
    state.SetItemsProcessed(state.iterations());
}

void ja3_only(benchmark::State &state) {
    std::vector<snifallback::ClientHello> parsed(g_handshakes.size());
    for (std::size_t k = 0; k < g_handshakes.size(); ++k) {
        snifallback::parse_client_hello(g_handshakes[k].data(), g_handshakes[k].size(), parsed[k]);
    }
    std::size_t i = 0;
    for (auto _ : state) {
        const std::string text = snifallback::ja3_string(parsed[i++ % parsed.size()]);
        benchmark::DoNotOptimize(snifallback::ja3_hash(text));
    }
    state.SetItemsProcessed(state.iterations());
}

void ja4_only(benchmark::State &state) {
    std::vector<snifallback::ClientHello> parsed(g_handshakes.size());
    for (std::size_t k = 0; k < g_handshakes.size(); ++k) {
        snifallback::parse_client_hello(g_handshakes[k].data(), g_handshakes[k].size(), parsed[k]);
    }
    std::size_t i = 0;
    for (auto _ : state) benchmark::DoNotOptimize(snifallback::ja4(parsed[i++ % parsed.size()]));
    state.SetItemsProcessed(state.iterations());
}

// What the module does per fingerprinted handshake: parse, JA3 text + MD5, JA4. A fresh
// ClientHello each time (the module keeps one per connection).
void parse_ja3_ja4(benchmark::State &state, const std::vector<Hello> *hellos) {
    std::size_t i = 0;
    for (auto _ : state) {
        const Hello &h = (*hellos)[i++ % hellos->size()];
        snifallback::ClientHello hello;
        if (snifallback::parse_client_hello(h.data(), h.size(), hello) !=
            snifallback::ParseError::ok) {
            state.SkipWithError("a vector does not parse");
            break;
        }
        const std::string ja3 = snifallback::ja3_string(hello);
        benchmark::DoNotOptimize(snifallback::ja3_hash(ja3));
        benchmark::DoNotOptimize(snifallback::ja4(hello));
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char **argv) {
    benchmark::Initialize(&argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s [benchmark options] VECTORS.jsonl...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; ++i) {
        if (!load(argv[i])) std::fprintf(stderr, "bench: %s absent, skipped\n", argv[i]);
    }
    if (g_handshakes.empty() || g_records.empty()) {
        std::fprintf(stderr, "bench: no vectors\n");
        return 1;
    }
    std::fprintf(stderr, "bench: %zu hellos\n", g_handshakes.size());
    benchmark::RegisterBenchmark("parse/handshake", parse_only, &g_handshakes);
    benchmark::RegisterBenchmark("parse/records", parse_only, &g_records);
    benchmark::RegisterBenchmark("ja3_string+md5", ja3_only);
    benchmark::RegisterBenchmark("ja4", ja4_only);
    benchmark::RegisterBenchmark("parse+ja3+ja4/handshake", parse_ja3_ja4, &g_handshakes);
    benchmark::RegisterBenchmark("parse+ja3+ja4/records", parse_ja3_ja4, &g_records);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
