#include "httpd/client_names_config.h"

#include <new>
#include <string>
#include <vector>

#include "apr_file_io.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_core.h"

#include "core/client_names.h"
#include "httpd/server_config.h"

namespace snifallback::glue {
namespace {

// FoxIO's whole file is a few KiB; an export of one's own may be larger, but a names file above
// this is a mistake (a log, a capture) rather than names.
constexpr apr_off_t max_names_file_bytes = 64 * 1024 * 1024;

// Duplicate keys of one file are reported up to this many lines a file, then counted.
constexpr std::size_t max_duplicates_shown = 20;

// This configuration generation's names, in the configuration pool; null: no names configured.
ClientNames *names = nullptr;

apr_status_t forget_names(void *) {
    if (names != nullptr) names->~ClientNames();
    names = nullptr;
    return APR_SUCCESS;
}

// The file's text; false after logging why it cannot be read.
bool read_file(apr_pool_t *p, const char *path, std::string &text) {
    apr_file_t *file = nullptr;
    apr_finfo_t info;
    apr_status_t rv =
        apr_file_open(&file, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, p);
    if (rv == APR_SUCCESS) rv = apr_file_info_get(&info, APR_FINFO_SIZE | APR_FINFO_TYPE, file);
    const char *problem = nullptr;
    char reason[256];
    if (rv != APR_SUCCESS) {
        problem = apr_strerror(rv, reason, sizeof reason);
    } else if (info.filetype != APR_REG) {
        problem = "not a regular file";
    } else if (info.size > max_names_file_bytes) {
        problem = "larger than 64 MiB, so not a names file";
    } else {
        text.resize(static_cast<std::size_t>(info.size));
        apr_size_t size = text.size();
        rv = apr_file_read_full(file, text.data(), size, &size);
        if (rv != APR_SUCCESS && rv != APR_EOF) problem = apr_strerror(rv, reason, sizeof reason);
        text.resize(size);
    }
    if (file != nullptr) apr_file_close(file);
    if (problem == nullptr) return true;
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                 "SNIF0110: SNIFallbackClientNames: cannot read '%s': %s", path, problem);
    return false;
}

// A key two rows of one file name: the later row wins, as it does across files, but within one
// file it is more likely a mistake (or two programs that send one hello), so it is said once per
// start and per `apachectl -t`, not on httpd's pre-flight pass.
void report_duplicates(const char *path, const std::vector<ClientNamesProblem> &duplicates) {
    const bool wanted =
        startup_summary_wanted() || ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST;
    if (!wanted) return;
    for (std::size_t i = 0; i < duplicates.size() && i < max_duplicates_shown; ++i) {
        std::string more;
        if (i + 1 == max_duplicates_shown && duplicates.size() > max_duplicates_shown) {
            more = " (and " + std::to_string(duplicates.size() - max_duplicates_shown) +
                   " more duplicates in the file)";
        }
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, nullptr,
                     "SNIF0114: SNIFallbackClientNames: %s:%" APR_SIZE_T_FMT
                     ": %s; this row's name wins%s",
                     path, static_cast<apr_size_t>(duplicates[i].line),
                     duplicates[i].message.c_str(), more.c_str());
    }
}

}  // namespace

const char *set_client_names(cmd_parms *cmd, void *, int argc, char *const argv[]) {
    if (const char *error = check_scope(cmd, Scope::server_only)) return error;
    if (argc < 1) {
        return apr_psprintf(cmd->pool,
                            "%s: name at least one CSV file (FoxIO's "
                            "ja4plus-mapping.csv layout)",
                            cmd->cmd->name);
    }
    apr_array_header_t *&files = server_config(cmd->server).module.client_names;
    if (files == nullptr) files = apr_array_make(cmd->pool, argc, sizeof(const char *));
    for (int i = 0; i < argc; ++i) {
        const char *path = ap_server_root_relative(cmd->pool, argv[i]);
        if (path == nullptr) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid path", cmd->cmd->name, argv[i]);
        }
        APR_ARRAY_PUSH(files, const char *) = path;
    }
    return nullptr;
}

int load_client_names(apr_pool_t *pconf, server_rec *main_server) {
    const apr_array_header_t *files = server_config(main_server).module.client_names;
    if (files == nullptr || names != nullptr) return OK;
    try {
        void *memory = apr_palloc(pconf, sizeof(ClientNames));
        names = new (memory) ClientNames();
        apr_pool_cleanup_register(pconf, nullptr, forget_names, apr_pool_cleanup_null);
        bool good = true;
        for (int i = 0; i < files->nelts; ++i) {
            const char *path = APR_ARRAY_IDX(files, i, const char *);
            std::string text;
            if (!read_file(pconf, path, text)) {
                good = false;
                continue;
            }
            std::vector<ClientNamesProblem> duplicates;
            for (const ClientNamesProblem &problem : names->add_csv(text, &duplicates)) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                             "SNIF0111: SNIFallbackClientNames: %s:%" APR_SIZE_T_FMT
                             ": %s (the file must be a CSV in the layout of FoxIO's "
                             "ja4plus-mapping.csv, header included)",
                             path, static_cast<apr_size_t>(problem.line), problem.message.c_str());
                good = false;
            }
            report_duplicates(path, duplicates);
        }
        return good ? OK : HTTP_INTERNAL_SERVER_ERROR;
    } catch (const std::bad_alloc &) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                     "SNIF0113: SNIFallbackClientNames: out of memory reading the names");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

const std::string *client_name(std::string_view ja4, std::string_view ja3_hash) noexcept {
    if (names == nullptr) return nullptr;
    try {
        return names->find(ja4, ja3_hash);
    } catch (...) {  // the lookup key's copy could not be allocated: the client stays unnamed
        return nullptr;
    }
}

void log_client_names(server_rec *main_server) {
    const apr_array_header_t *files = server_config(main_server).module.client_names;
    if (names == nullptr || files == nullptr) return;
    std::string list;
    for (int i = 0; i < files->nelts; ++i) {
        if (i > 0) list += ", ";
        list += APR_ARRAY_IDX(files, i, const char *);
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, main_server,
                 "SNIF0112: SNIFallbackClientNames: %" APR_SIZE_T_FMT
                 " fingerprints named, from %s (later files win)",
                 static_cast<apr_size_t>(names->size()), list.c_str());
}

}  // namespace snifallback::glue
