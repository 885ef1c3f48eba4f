#include "core/client_class.h"

#include "core/ascii.h"
#include "core/host.h"

namespace snifallback {

const char *client_class_name(ClientClass c) noexcept {
    if (c == ClientClass::served) return "served";
    return fallback_class_descriptions[fallback_class_index(c)].name;
}

const char *client_class_key(ClientClass c) noexcept {
    if (c == ClientClass::served) return "served";
    return fallback_class_descriptions[fallback_class_index(c)].key;
}

bool parse_client_class(std::string_view word, ClientClass &out) noexcept {
    for (ClientClass c : fallback_classes) {
        if (equal_ignoring_case(word, client_class_name(c))) {
            out = c;
            return true;
        }
    }
    return false;
}

bool sni_is_ip_literal(std::string_view host_name) noexcept { return is_ip_address(host_name); }

ClientClass classify_client(bool sni_present, std::string_view host_name,
                            const NameIndex &served) noexcept {
    if (!sni_present) return ClientClass::no_sni;
    if (served.serves(host_name)) return ClientClass::served;
    return sni_is_ip_literal(host_name) ? ClientClass::ip_literal : ClientClass::unknown_name;
}

}  // namespace snifallback
