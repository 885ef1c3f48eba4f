"""The demo behind scripts/demo.sh: a real apache2 with the module, clients with and without SNI.

It starts the server with the same generator the integration tests use (snifharness.httpd);
scripts/demo.sh sets PYTHONPATH for the package (tests/snifharness)."""
import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from snifharness.httpd import VHOST_NAMES, Httpd
from snifharness.pki import Pki

DEMO_CONFIG = """
# What the demo adds to the generated config: the module's own log of fallback clients, and an
# access log of just the requests that came without SNI (CustomLog ... env=SNI_MISSING).
SNIFallbackLog logs/nosni.log
LogFormat "%h \\"%r\\" %>s host=%{Host}i ja4=%{SNIFALLBACK_JA4}e ua=\\"%{User-Agent}i\\"" nosni
CustomLog logs/nosni_access.log nosni env=SNI_MISSING
"""
# a.test shows clients without SNI a notice page instead of mod_ssl's 421.
HANDLED = {"a.test": "SNIFallbackAction notice"}
SHOWN = ("event", "client_ip", "sni_class", "tls_offered_max", "ja4", "outcome", "host", "uri",
         "user_agent", "action", "enforced", "status")


def show_clients(httpd: Httpd) -> None:
    port = httpd.https_port
    print("1) a client WITHOUT SNI (curl to the IP address):")
    print(f"   $ curl -k https://127.0.0.1:{port}/")
    r = httpd.curl("/", extra=["-A", "demo-client-without-sni"])[0]
    print(f"   -> {r.status} {r.body.strip()!r}\n")
    print("2) a client WITHOUT SNI asking for a.test, which has SNIFallbackAction notice:")
    print(f"   $ curl -k -H 'Host: a.test' https://127.0.0.1:{port}/")
    r = httpd.curl("/", headers={"Host": "a.test"}, extra=["-A", "demo-client-without-sni"])[0]
    print(f"   -> {r.status}, the notice page: {r.body.splitlines()[3][:60]!r}...\n")
    print("3) a client WITH SNI (curl --resolve a.test):")
    print(f"   $ curl --resolve a.test:{port}:127.0.0.1 https://a.test:{port}/")
    r = httpd.curl("/", sni="a.test", extra=["-A", "demo-client-with-sni"])[0]
    print(f"   -> {r.status} {r.body.strip()!r}\n")


def show_logs(httpd: Httpd) -> bool:
    """Prints both logs; true when exactly the two requests without SNI are in them."""
    text = httpd.wait_for_log("nosni_access.log", lambda t: t.count("\n") >= 2)
    print("Requests marked SNI_MISSING=1 (CustomLog logs/nosni_access.log ... env=SNI_MISSING):")
    for line in text.splitlines():
        print("   " + line)
    records = httpd.wait_for_log("nosni.log", lambda t: t.count("\n") >= 4)
    print("\nThe module's log (SNIFallbackLog logs/nosni.log), one JSON record per handshake and "
          "per request:")
    for line in records.splitlines():
        record = json.loads(line)
        print("   " + json.dumps({k: record[k] for k in SHOWN if k in record}))
    print("   (shortened here: every record holds all the keys listed in README.md)")
    recorded = text.count("demo-client-without-sni"), text.count("demo-client-with-sni")
    logged = records.count("demo-client-without-sni"), records.count("demo-client-with-sni")
    print(f"\n   requests without SNI recorded: {recorded[0]} (log: {logged[0]}); "
          f"with SNI: {recorded[1]} (log: {logged[1]})")
    return recorded == (2, 0) and logged == (2, 0)


def serve_until_interrupted(httpd: Httpd) -> int:
    print(f"\nServing until Ctrl-C. Try: openssl s_client -noservername -connect "
          f"127.0.0.1:{httpd.https_port}")
    signal.signal(signal.SIGINT, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    while httpd.proc and httpd.proc.poll() is None:
        time.sleep(0.5)
    return 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--module", required=True)
    parser.add_argument("--once", action="store_true", help="stop after showing the result")
    args = parser.parse_args()
    # SIGTERM and SIGHUP end the demo as Ctrl-C does, through the `finally` below.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    pki_dir = Path(tempfile.mkdtemp(prefix="snif-demo-pki-"))
    httpd = None
    try:
        httpd = Httpd(Pki(pki_dir), args.module)
        httpd.start(DEMO_CONFIG, vhost_extra=HANDLED)
        print(f"apache2 with mod_snifallback is listening on https://127.0.0.1:{httpd.https_port}/")
        print(f"  ServerRoot {httpd.root}  (vhosts: {', '.join(VHOST_NAMES)})\n")
        show_clients(httpd)
        if not show_logs(httpd):
            print("demo: unexpected result", file=sys.stderr)
            return 1
        return 0 if args.once else serve_until_interrupted(httpd)
    except KeyboardInterrupt:
        return 0
    finally:
        if httpd is not None:
            httpd.cleanup()
        shutil.rmtree(pki_dir, ignore_errors=True)  # the throwaway CA and its keys


if __name__ == "__main__":
    sys.exit(main())
