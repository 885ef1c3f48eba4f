// OpenSSL's error queue, as the module's log lines quote it.
//
// Every OpenSSL call of the module that can fail on a connection's path has its return value
// checked; a failure is logged once, with an id of its own and this text, and the queue is
// cleared, so that what the module's call left there is neither lost nor reported later by mod_ssl
// as the cause of an unrelated failure.
#pragma once

#include <string>

namespace snifallback::glue {

// The errors on this thread's OpenSSL error queue, oldest first, as OpenSSL words them
// ("error:0A0000B1:SSL routines::missing ...; ..."), at most a few, and the queue emptied. "no
// error on OpenSSL's queue" when it was empty.
std::string take_openssl_errors();

}  // namespace snifallback::glue
