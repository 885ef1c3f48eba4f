#include "httpd/openssl_errors.h"

#include <openssl/err.h>

namespace snifallback::glue {

std::string take_openssl_errors() {
    constexpr int most = 4;  // a failure leaves one to three; more would only lengthen the line
    std::string out;
    int taken = 0;
    for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
        if (taken++ >= most) continue;  // drain the rest
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        if (!out.empty()) out += "; ";
        out += text;
    }
    if (taken > most) out += "; ...";
    ERR_clear_error();
    return out.empty() ? "no error on OpenSSL's queue" : out;
}

}  // namespace snifallback::glue
