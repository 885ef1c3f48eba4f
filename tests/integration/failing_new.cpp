// Test-only fault injection, preloaded into apache2 (LD_PRELOAD): while the file named by
// SNIFALLBACK_FAIL_NEW_FILE exists, every C++ allocation throws std::bad_alloc. httpd, APR and
// OpenSSL are C and never call operator new, so this fails exactly the module's allocations: the
// tests see what the module does when memory runs out in each kind of hook.
#include <cstdlib>
#include <new>
#include <sys/stat.h>

namespace {

bool failing() noexcept {
    static const char *const flag = std::getenv("SNIFALLBACK_FAIL_NEW_FILE");
    struct stat info;
    return flag != nullptr && stat(flag, &info) == 0;
}

void *allocate(std::size_t size) {
    if (failing()) throw std::bad_alloc();
    if (void *p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}

}  // namespace

void *operator new(std::size_t size) { return allocate(size); }
void *operator new[](std::size_t size) { return allocate(size); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
