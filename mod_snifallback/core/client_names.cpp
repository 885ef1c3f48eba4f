#include "core/client_names.h"

#include <optional>
#include <unordered_map>

namespace snifallback {

namespace {

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
    std::string out(s);
    for (char &c : out) c = lower(c);
    return out;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Reads RFC 4180 rows one at a time.
class CsvReader {
  public:
    explicit CsvReader(std::string_view text) : text_(text) {}

    bool at_end() const noexcept { return pos_ >= text_.size(); }
    std::size_t line() const noexcept { return line_; }

    // The next row's fields; an error message instead when the row is malformed (the reader
    // then continues after the row's end).
    bool next(std::vector<std::string> &fields, std::string &error) {
        fields.clear();
        error.clear();
        fields.emplace_back();
        bool too_long = false;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
            if (c == '\n' || c == '\r') {
                ++pos_;
                ++line_;
                break;
            }
            if (c == ',') {
                fields.emplace_back();
                ++pos_;
                continue;
            }
            if (c == '"' && trimmed(fields.back()).empty()) {
                fields.back().clear();
                ++pos_;
                bool closed = false;
                while (pos_ < text_.size()) {
                    const char q = text_[pos_++];
                    if (q == '"') {
                        if (pos_ < text_.size() && text_[pos_] == '"') {
                            ++pos_;
                        } else {
                            closed = true;
                            break;
                        }
                    } else if (q == '\n') {
                        ++line_;
                    }
                    if (fields.back().size() < ClientNames::max_field_bytes) {
                        fields.back().push_back(q);
                    } else {
                        too_long = true;
                    }
                }
                if (!closed) {
                    error = "a quoted field is not closed before the end of the file";
                    return false;
                }
                continue;
            }
            if (fields.back().size() < ClientNames::max_field_bytes) {
                fields.back().push_back(c);
            } else {
                too_long = true;
            }
            ++pos_;
        }
        if (too_long) {
            error =
                "a field is longer than " + std::to_string(ClientNames::max_field_bytes) + " bytes";
            return false;
        }
        return true;
    }

  private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
};

bool blank_row(const std::vector<std::string> &fields) {
    return fields.size() == 1 && trimmed(fields[0]).empty();
}

}  // namespace

std::vector<ClientNamesProblem> ClientNames::add_csv(std::string_view text,
                                                     std::vector<ClientNamesProblem> *duplicates) {
    std::vector<ClientNamesProblem> problems;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    CsvReader reader(text);
    std::vector<std::string> fields;
    std::string error;

    // The header: the first row that is not blank.
    std::size_t header_line = 0;
    bool have_header = false;
    while (!reader.at_end()) {
        header_line = reader.line();
        if (!reader.next(fields, error)) {
            problems.push_back({header_line, "header: " + error});
            return problems;
        }
        if (!blank_row(fields)) {
            have_header = true;
            break;
        }
    }
    if (!have_header) {
        problems.push_back({1, "empty file: no header row"});
        return problems;
    }
    constexpr const char *name_columns[] = {"application", "library", "device", "os"};
    std::optional<std::size_t> ja4_col, ja3_col;
    std::vector<std::size_t> name_cols;
    for (const char *wanted : name_columns) {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (lowered(trimmed(fields[i])) == wanted) {
                name_cols.push_back(i);
                break;
            }
        }
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const std::string column = lowered(trimmed(fields[i]));
        if (column == "ja4" && !ja4_col) ja4_col = i;
        if (column == "ja3" && !ja3_col) ja3_col = i;
    }
    if (!ja4_col && !ja3_col) {
        problems.push_back({header_line,
                            "the header names no ja4 or ja3 column (expected the columns of "
                            "FoxIO's ja4plus-mapping.csv: Application,Library,Device,OS,ja4,...)"});
        return problems;
    }

    // Where each key of this text was first seen, when duplicates are wanted.
    std::unordered_map<std::string, std::size_t> first_line;
    const auto note = [&](const char *kind, const std::string &key, std::size_t line) {
        if (duplicates == nullptr) return;
        const auto [it, added] = first_line.emplace(std::string(kind) + key, line);
        if (!added) {
            duplicates->push_back({line, std::string(kind) + " " + key + " is also on line " +
                                             std::to_string(it->second)});
        }
    };
    std::size_t rows = 0;
    while (!reader.at_end()) {
        const std::size_t line = reader.line();
        if (!reader.next(fields, error)) {
            problems.push_back({line, error});
            continue;
        }
        if (blank_row(fields)) continue;
        if (++rows > max_rows) {
            problems.push_back(
                {line, "more than " + std::to_string(max_rows) + " rows: the rest is not read"});
            break;
        }
        std::string name;
        for (std::size_t col : name_cols) {
            if (col >= fields.size()) continue;
            const std::string_view part = trimmed(fields[col]);
            if (part.empty()) continue;
            if (!name.empty()) name += " / ";
            name += part;
        }
        if (name.empty()) continue;
        auto column = [&](std::optional<std::size_t> col) -> std::string {
            if (!col || *col >= fields.size()) return {};
            return lowered(trimmed(fields[*col]));
        };
        const std::string ja4 = column(ja4_col);
        const std::string ja3 = column(ja3_col);
        if (!ja4.empty()) {
            note("ja4", ja4, line);
            by_ja4_[ja4] = name;
        }
        if (!ja3.empty()) {
            note("ja3", ja3, line);
            by_ja3_[ja3] = name;
        }
    }
    return problems;
}

const std::string *ClientNames::find(std::string_view ja4, std::string_view ja3_hash) const {
    if (!ja4.empty()) {
        const auto it = by_ja4_.find(std::string(ja4));
        if (it != by_ja4_.end()) return &it->second;
    }
    if (!ja3_hash.empty()) {
        const auto it = by_ja3_.find(std::string(ja3_hash));
        if (it != by_ja3_.end()) return &it->second;
    }
    return nullptr;
}

}  // namespace snifallback
