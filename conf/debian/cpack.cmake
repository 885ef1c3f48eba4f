# The Debian package libapache2-mod-snifallback, made by CPack's DEB generator:
#
#   cmake --build build --target package
#   -> build/libapache2-mod-snifallback_<version>_<arch>.deb
#
# Included from the top-level CMakeLists.txt once the module (install component "module") and
# snifallback-fp with its manual page (component "cli") are defined. This file adds the component
# "debian", which only the package installs (EXCLUDE_FROM_ALL: a plain `cmake --install` leaves
# /etc alone): snifallback.load and snifallback.conf as conffiles in /etc/apache2/mods-available,
# the project's client names in /usr/share/apache2/snifallback, README (its links into the
# source tree made plain text: package_readme.cmake), examples, copyright and changelog in
# /usr/share/doc. (lintian finds nothing to
# override; an override would go to /usr/share/lintian/overrides/libapache2-mod-snifallback.)
# The maintainer scripts next to this file do what dh_apache2's do for Debian's own modules.

set(SNIFALLBACK_DEB_NAME libapache2-mod-snifallback)
set(SNIFALLBACK_DEB_DOCDIR /usr/share/doc/${SNIFALLBACK_DEB_NAME})
# Maintainer (also the changelog's signature): -DSNIFALLBACK_DEB_MAINTAINER="Name <address>", or
# else who builds the package as git knows them in the source tree (user.name and user.email, the
# identity its commits carry; as dch takes DEBFULLNAME and DEBEMAIL), or else the project's address.
set(SNIFALLBACK_DEB_MAINTAINER "" CACHE STRING
    "Maintainer field of the Debian package: Name <address> (empty: git's user.name and user.email)")
set(deb_maintainer "${SNIFALLBACK_DEB_MAINTAINER}")
if(NOT deb_maintainer)
  set(deb_maintainer "mod_snifallback maintainers <maintainers@users.noreply.r-seed-28b9c0b1.example>")
  find_program(GIT_EXECUTABLE git)
  if(GIT_EXECUTABLE)
    execute_process(COMMAND ${GIT_EXECUTABLE} config user.name
                    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                    OUTPUT_VARIABLE git_name OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    execute_process(COMMAND ${GIT_EXECUTABLE} config user.email
                    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                    OUTPUT_VARIABLE git_email OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(git_name AND git_email MATCHES "^[^@<> ]+@[^@<> ]+$")
      set(deb_maintainer "${git_name} <${git_email}>")
    endif()
  endif()
endif()

if(NOT HTTPD_LIBEXECDIR STREQUAL "/usr/lib/apache2/modules")
  # conf/snifallback.load names /usr/lib/apache2/modules/mod_snifallback.so: the package is
  # for Debian's apache2 layout only.
  message(STATUS "No Debian package target: apxs says modules live in ${HTTPD_LIBEXECDIR}, "
                 "not /usr/lib/apache2/modules")
  return()
endif()

# -- files that only the package installs ----------------------------------------------------------
set(deb_dir ${CMAKE_CURRENT_LIST_DIR})
set(deb_build ${CMAKE_BINARY_DIR}/debian)

# changelog: Debian wants one, with the package's version on top. The version is the project's
# (PROJECT_VERSION), the date that of the commit the tree was built from (reproducible), or of the
# build when there is no git checkout; SOURCE_DATE_EPOCH wins over both.
set(SNIFALLBACK_DEB_DATE "")
if(NOT DEFINED ENV{SOURCE_DATE_EPOCH})
  find_program(GIT_EXECUTABLE git)
  if(GIT_EXECUTABLE)
    execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%ct
                    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE commit_time
                    OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE git_rc ERROR_QUIET)
    if(git_rc EQUAL 0 AND commit_time MATCHES "^[0-9]+$")
      set(ENV{SOURCE_DATE_EPOCH} ${commit_time})
      string(TIMESTAMP SNIFALLBACK_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
      unset(ENV{SOURCE_DATE_EPOCH})
    endif()
  endif()
endif()
if(NOT SNIFALLBACK_DEB_DATE)
  string(TIMESTAMP SNIFALLBACK_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
endif()
configure_file(${deb_dir}/changelog.in ${deb_build}/changelog @ONLY)

# Documentation larger than 4 kB and changelogs are compressed with gzip -9n (Debian policy 12.3).
# A package whose version has no Debian revision is a native package: its changelog is
# changelog.gz.
add_custom_command(OUTPUT ${deb_build}/README.md
  COMMAND ${CMAKE_COMMAND} -DSOURCE=${PROJECT_SOURCE_DIR}/README.md
          -DOUTPUT=${deb_build}/README.md -P ${deb_dir}/package_readme.cmake
  DEPENDS ${PROJECT_SOURCE_DIR}/README.md ${deb_dir}/package_readme.cmake VERBATIM)
set(deb_gz_outputs "")
foreach(pair "${deb_build}/changelog|changelog" "${deb_build}/README.md|README.md")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 source)
  list(GET pair 1 name)
  add_custom_command(OUTPUT ${deb_build}/gz/${name}.gz
    COMMAND ${CMAKE_COMMAND} -E copy ${source} ${deb_build}/gz/${name}
    COMMAND ${GZIP_EXECUTABLE} -9nf ${deb_build}/gz/${name}
    DEPENDS ${source} VERBATIM)
  list(APPEND deb_gz_outputs ${deb_build}/gz/${name}.gz)
endforeach()
add_custom_target(snifallback_deb_docs ALL DEPENDS ${deb_gz_outputs})

install(FILES ${PROJECT_SOURCE_DIR}/conf/snifallback.load
              ${PROJECT_SOURCE_DIR}/conf/snifallback.conf
        DESTINATION /etc/apache2/mods-available COMPONENT debian EXCLUDE_FROM_ALL)
# The project's client names (scripts/client_names.sh), which snifallback.conf uses.
install(FILES ${PROJECT_SOURCE_DIR}/conf/client-names.csv
        DESTINATION /usr/share/apache2/snifallback COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${deb_gz_outputs} ${deb_dir}/copyright
        DESTINATION ${SNIFALLBACK_DEB_DOCDIR} COMPONENT debian EXCLUDE_FROM_ALL)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/conf/examples/
        DESTINATION ${SNIFALLBACK_DEB_DOCDIR}/examples COMPONENT debian EXCLUDE_FROM_ALL
        FILES_MATCHING PATTERN "*.conf")
# Prometheus's recording and alerting rules for a fleet, an example to copy to /etc/prometheus/.
install(FILES ${PROJECT_SOURCE_DIR}/conf/prometheus/snifallback-rules.yml
        DESTINATION ${SNIFALLBACK_DEB_DOCDIR}/examples/prometheus COMPONENT debian EXCLUDE_FROM_ALL)

# -- the package -----------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR TXZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git" "/build[^/]*/" "__pycache__")
set(CPACK_PACKAGE_NAME ${SNIFALLBACK_DEB_NAME})
set(CPACK_DEBIAN_PACKAGE_NAME ${SNIFALLBACK_DEB_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})  # also when PROJECT_VERSION comes from a header
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)        # name_version_arch.deb
set(CPACK_PACKAGE_CONTACT "${deb_maintainer}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${deb_maintainer}")
set(CPACK_DEBIAN_PACKAGE_SECTION httpd)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Apache module that finds and handles TLS clients without SNI")
# The long description; CPack puts the summary above it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "mod_snifallback sits in mod_ssl's TLS handshake and
recognises the clients that send no Server Name Indication: old browsers and
TLS libraries, embedded devices, scripts and health checks that connect by IP
address. It marks their requests (SNI_MISSING), fingerprints them (JA3, JA4),
logs every such handshake and request to a file, a pipe or syslog, counts
them, and can give them a certificate of their own, a notice page or a
redirect.
.
The package enables the module (and mod_ssl, which it needs) on installation.
It also contains snifallback-fp, a command-line tool that prints the JA3 and
JA4 fingerprints of TLS ClientHellos, and snifallback-report, which turns the
module's logs of one or many servers (plain, rotated .gz, syslog) into the
table of clients to retire.")

# Depends, as dh_apache2 writes them for Debian's own module packages, plus what dpkg-shlibdeps
# finds for the libraries the module and the two tools link (libssl3, libstdc++6, libc6, and
# snifallback-report's libsimdjson14 and zlib1g).
# - apache2-api-20120211: the module ABI (MODULE_MAGIC_NUMBER_MAJOR) it was built against.
# - apache2-api-20120211-openssl1.1: the ABI of mod_ssl's OpenSSL hooks (mod_ssl_openssl.h, from
#   apache2-ssl-dev); dh_apache2 adds it to every module built with apache2-ssl-dev, since the
#   module is handed mod_ssl's SSL objects and must use the same libssl.
# - apache2-bin (>= 2.4.51): the first httpd with everything the module relies on. The newest of
#   those is ap_unescape_url_ex() (MMN 20120211.118, 2.4.51), with ap_normalize_path() (.109,
#   2.4.49): the module normalises a request's path the way httpd will, so that SNIFallbackExempt
#   cannot be bypassed with dot segments or escapes. Older: the module record's `flags` field
#   with AP_MODULE_FLAG_ALWAYS_MERGE (20120211.70, 2.4.30), which every vhost needs so that it
#   has a merged config of its own (mod_ssl's init_server hook stores that vhost's SSL_CTX in
#   it); conn_rec->master for HTTP/2 (20120211.52, 2.4.18) and mod_ssl's optional hooks
#   ssl_init_server and ssl_pre_handshake (mod_ssl_openssl.h, 20120211.57, 2.4.19).
#   SSLVHostSNIPolicy, whose 421s the module's forecast predicts, exists from 2.4.64 on.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "apache2-api-20120211, apache2-api-20120211-openssl1.1, apache2-bin (>= 2.4.51)")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${deb_dir}/postinst ${deb_dir}/prerm ${deb_dir}/postrm ${deb_dir}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # 0755 scripts, 0644 conffiles
set(CPACK_STRIP_FILES ON)
# The DEB generator installs under /usr by default (CPACK_PACKAGING_INSTALL_PREFIX): snifallback-fp
# lands in /usr/bin. Setting that variable here would also prefix package_source's tarball.
# One package made of all three components, "debian" included.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL module cli debian)
include(CPack)
