// The module's version: the one place it is written. CMake reads it from here for the project and
// the Debian package; the module names it at start-up and on its status page.
#pragma once

#define SNIFALLBACK_VERSION "0.2.0"
