#include "core/proxy_facts.h"

#include <algorithm>
#include <cctype>

#include "core/fingerprint.h"

namespace snifallback {
namespace {

bool equals_folded(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// true / false, or nullopt for anything else.
std::optional<bool> flag(std::string_view value) {
    for (const char *yes : {"1", "true", "yes", "on"}) {
        if (equals_folded(value, yes)) return true;
    }
    for (const char *no : {"0", "false", "no", "off"}) {
        if (equals_folded(value, no)) return false;
    }
    return std::nullopt;
}

template <typename Allowed>
bool only(std::string_view value, Allowed allowed) {
    return std::all_of(value.begin(), value.end(),
                       [&](char c) { return allowed(static_cast<unsigned char>(c)); });
}

}  // namespace

std::optional<ProxyFacts> read_proxy_facts(const char *sni, const char *has_sni, const char *ja4,
                                           const char *ja3) {
    std::optional<bool> said = has_sni ? flag(has_sni) : std::nullopt;
    if (!said && sni == nullptr) return std::nullopt;
    ProxyFacts facts;
    const std::string_view name = sni ? std::string_view(sni) : std::string_view();
    facts.sni.assign(name.substr(0, max_proxy_sni));
    facts.sni_present = said ? *said : !name.empty();
    if (!facts.sni_present) facts.sni.clear();
    if (ja4 != nullptr) {
        const std::string_view value(ja4);
        if (!value.empty() && value.size() <= max_proxy_ja4 &&
            only(value, [](unsigned char c) { return std::isalnum(c) || c == '_'; })) {
            facts.ja4.assign(value);
        }
    }
    if (ja3 != nullptr) {
        const std::string_view value(ja3);
        if (value.size() == 32 && only(value, [](unsigned char c) { return std::isxdigit(c); })) {
            facts.ja3_hash.assign(value);
            std::transform(facts.ja3_hash.begin(), facts.ja3_hash.end(), facts.ja3_hash.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        } else if (!value.empty() && value.size() <= max_proxy_ja3 &&
                   only(value,
                        [](unsigned char c) { return std::isdigit(c) || c == ',' || c == '-'; })) {
            facts.ja3.assign(value);
            facts.ja3_hash = ja3_hash(facts.ja3);
        }
    }
    return facts;
}

}  // namespace snifallback
