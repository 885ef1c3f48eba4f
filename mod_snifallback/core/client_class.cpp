#include "core/client_class.h"

#include "core/ascii.h"
#include "core/host.h"

namespace snifallback {

const char *client_class_name(ClientClass c) noexcept {
    switch (c) {
        case ClientClass::no_sni: return "no-sni";
        case ClientClass::ip_literal: return "ip-literal";
        case ClientClass::unknown_name: return "unknown-name";
        case ClientClass::served: break;
    }
    return "served";
}

const char *client_class_key(ClientClass c) noexcept {
    switch (c) {
        case ClientClass::no_sni: return "no_sni";
        case ClientClass::ip_literal: return "ip_literal";
        case ClientClass::unknown_name: return "unknown_name";
        case ClientClass::served: break;
    }
    return "served";
}

std::size_t fallback_class_index(ClientClass c) noexcept {
    switch (c) {
        case ClientClass::ip_literal: return 1;
        case ClientClass::unknown_name: return 2;
        default: return 0;
    }
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
