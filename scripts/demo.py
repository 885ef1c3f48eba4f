"""The demo behind scripts/demo.sh: a real apache2 with the module, a no-SNI and an SNI client.

It starts the server with the same generator the integration tests use (snifharness.httpd);
scripts/demo.sh sets PYTHONPATH for the package (tests/snifharness)."""
import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

from snifharness.httpd import VHOST_NAMES, Httpd
from snifharness.pki import Pki

DEMO_CONFIG = """
# What the demo adds to the generated config: the module's own no-SNI log, and an access log of
# just the requests that came without SNI (CustomLog ... env=SNI_MISSING).
SNIFallbackLog logs/nosni.json
LogFormat "%h \\"%r\\" %>s host=%{Host}i ja4=%{SNIFALLBACK_JA4}e ua=\\"%{User-Agent}i\\"" nosni
CustomLog logs/nosni_access.log nosni env=SNI_MISSING
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--module", required=True)
    parser.add_argument("--once", action="store_true", help="stop after showing the result")
    args = parser.parse_args()

    pki = Pki(Path(tempfile.mkdtemp(prefix="snif-demo-pki-")))
    httpd = Httpd(pki, args.module)
    try:
        httpd.start(DEMO_CONFIG)
        print(f"apache2 with mod_snifallback is listening on https://127.0.0.1:{httpd.https_port}/")
        print(f"  ServerRoot {httpd.root}  (vhosts: {', '.join(VHOST_NAMES)})\n")

        print("1) a client WITHOUT SNI (curl to the IP address):")
        print(f"   $ curl -k https://127.0.0.1:{httpd.https_port}/")
        r = httpd.curl("/", extra=["-A", "demo-client-without-sni"])[0]
        print(f"   -> {r.status} {r.body.strip()!r}\n")

        print("2) a client WITH SNI (curl --resolve a.test):")
        print(f"   $ curl --resolve a.test:{httpd.https_port}:127.0.0.1 https://a.test:{httpd.https_port}/")
        r = httpd.curl("/", sni="a.test", extra=["-A", "demo-client-with-sni"])[0]
        print(f"   -> {r.status} {r.body.strip()!r}\n")

        text = httpd.wait_for_log("nosni_access.log", lambda t: t.strip() != "")
        print("Requests marked SNI_MISSING=1 (CustomLog logs/nosni_access.log ... env=SNI_MISSING):")
        for line in text.splitlines():
            print("   " + line)
        records = httpd.wait_for_log("nosni.json", lambda t: t.count("\n") >= 2)
        print("\nThe module's no-SNI log (SNIFallbackLog logs/nosni.json), one JSON record per "
              "handshake and per request:")
        shown = ("event", "client_ip", "tls_offered_max", "alpn", "ja4", "outcome", "method", "uri",
                 "user_agent", "status", "action")
        for line in records.splitlines():
            record = json.loads(line)
            print("   " + json.dumps({k: record[k] for k in shown if k in record}))
        print("   (shortened here: every record holds all the keys listed in README.md)")
        recorded = text.count("demo-client-without-sni"), text.count("demo-client-with-sni")
        logged = records.count("demo-client-without-sni"), records.count("demo-client-with-sni")
        print(f"\n   no-SNI requests recorded: {recorded[0]} (log: {logged[0]}); "
              f"SNI requests recorded: {recorded[1]} (log: {logged[1]})")
        if recorded != (1, 0) or logged != (1, 0):
            print("demo: unexpected result", file=sys.stderr)
            return 1
        if args.once:
            return 0
        print(f"\nServing until Ctrl-C. Try: openssl s_client -noservername -connect "
              f"127.0.0.1:{httpd.https_port}")
        signal.signal(signal.SIGINT, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        while httpd.proc and httpd.proc.poll() is None:
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        httpd.cleanup()


if __name__ == "__main__":
    sys.exit(main())
