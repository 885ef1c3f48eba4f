"""snifharness: the test infrastructure of mod_snifallback, shared by the integration tests and the
scripts (demo, bench, soak, hostile clients, sanitize).

It is found through PYTHONPATH, set by whoever starts Python: CTest for the integration tests
(tests/integration/CMakeLists.txt, and tests/integration/pytest.ini for pytest by hand), and the
shell entry points in scripts/. No module of it touches sys.path.

Modules, one concept each:
  process        running commands, starting servers and waiting for them, stopping process groups
  ports          free loopback ports, and whether one accepts connections
  apache         where Debian's apache2 and its modules are, and its config test
  pki            a throwaway CA and leaf certificates (the openssl command)
  httpd          one apache2 instance with a generated configuration (the tests' fixture)
  clients        curl, Python's ssl and openssl s_client as HTTP clients, and their responses
  tls_bio        a TLS client over MemoryBIOs (exact ClientHello bytes, first flight written at will)
  h2load         running h2load and reading its figures
  browser        headless Chromium from its command line, and reading its PNG screenshots
  records        the module's no-SNI log (JSON lines) and crash / warning lines of the error log
  hostile_cases  malformed ClientHellos derived from real ones
  hostile        the hostile-client run: cases and well-formed requests against a server
  prometheus     a real Prometheus server on a free loopback port, its HTTP API, and promtool
"""
