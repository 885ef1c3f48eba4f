# The README as the package ships it (/usr/share/doc/libapache2-mod-snifallback/README.md.gz):
# README.md with its relative links into the source tree (scripts/bench/README.md,
# tests/README.md, ...), which the package does not ship, turned into plain text that says where
# they are. Links to the web and to the README's own sections stay.
#
#   cmake -DSOURCE=README.md -DOUTPUT=build/debian/README.md -P package_readme.cmake
file(READ "${SOURCE}" text)
string(REGEX REPLACE "\\[([^]\n]*)\\]\\(([^):#\n][^):\n]*)\\)" "\\1 (in the source tree)" text
       "${text}")
file(WRITE "${OUTPUT}" "${text}")
