"""The demo behind scripts/demo.sh: a real apache2 with the module, a no-SNI and an SNI client."""
import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))
from harness import Httpd, Pki, VHOST_NAMES  # noqa: E402  (the same generator the tests use)

DEMO_CONFIG = """
# What the demo adds to the generated config: a log of the requests that came without SNI.
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
        print("What the module recorded: requests marked SNI_MISSING=1 "
              "(CustomLog logs/nosni_access.log ... env=SNI_MISSING):")
        for line in text.splitlines():
            print("   " + line)
        recorded = text.count("demo-client-without-sni"), text.count("demo-client-with-sni")
        print(f"\n   no-SNI requests recorded: {recorded[0]}; SNI requests recorded: {recorded[1]}")
        if recorded != (1, 0):
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
