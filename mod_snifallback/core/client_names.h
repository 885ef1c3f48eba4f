// Names of client programs by TLS fingerprint, read from CSV files in the column layout of FoxIO's
// ja4plus-mapping.csv:
//
//   Application,Library,Device,OS,ja4,ja4s,ja4h,ja4x,ja4t,ja4tscan,Notes
//   Chromium Browser,,,,t13d1516h2_8daaf6152771_02713d6af862,,,,,,
//   ,Python,,,t13i181000_85036bcba153_d41ae481755e,,,,,,
//
// The first row is the header; columns are found by name (case-insensitive, surrounding spaces and
// a UTF-8 byte order mark ignored), so their order and any other columns do not matter. A `ja4`
// column is looked up by JA4; a `ja3` column (an MD5 hex JA3, optional, not in FoxIO's file) by
// JA3. A file needs at least one of the two. The name of a row is its non-empty Application,
// Library, Device and OS values joined with " / " ("Chromium Browser", "Python",
// "Safari / iOS"); a row without a fingerprint or without a name is skipped silently (FoxIO's file
// has rows for JA4S, JA4T, ... only). Fields follow RFC 4180: quoted with "...", "" inside quotes
// is one quote, a quoted field may span lines; CRLF or LF line ends.
//
// Later rows win over earlier ones, and a later file (a later add_csv) over earlier files. Lookups
// compare fingerprints exactly (JA4 and JA3 hashes are lower-case as the module writes them; the
// file's are folded to lower case on reading).
//
// Shared by snifallback-report (--names) and, later, the module (SNIFallbackClientNames): pure
// C++, no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace snifallback {

struct ClientNamesProblem {
    std::size_t line = 0;  // 1-based line of the file where the row starts
    std::string message;
};

class ClientNames {
  public:
    // Limits that keep a hostile or mistaken file from costing much: a longer field is a problem
    // and its row is skipped; a file with more rows stops being read there (a problem).
    static constexpr std::size_t max_field_bytes = 1024;
    static constexpr std::size_t max_rows = 1'000'000;

    // Reads one file's text. Returns the problems found (a bad row is skipped, the others are
    // kept); a file without a header naming a ja4 or ja3 column adds nothing and is one problem.
    // With `duplicates`, a row whose JA4 or JA3 an earlier row of the same text has is added
    // there too (it still wins): "ja4 ... is also on line N". A key an earlier add_csv gave is
    // no duplicate: later files win by design.
    std::vector<ClientNamesProblem> add_csv(std::string_view text,
                                            std::vector<ClientNamesProblem> *duplicates = nullptr);

    // The name for this JA4, else for this JA3 hash; nullptr when neither is known. Empty
    // arguments never match.
    const std::string *find(std::string_view ja4, std::string_view ja3_hash = {}) const;

    std::size_t size() const noexcept { return by_ja4_.size() + by_ja3_.size(); }

  private:
    std::unordered_map<std::string, std::string> by_ja4_;
    std::unordered_map<std::string, std::string> by_ja3_;
};

}  // namespace snifallback
