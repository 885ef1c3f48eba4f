"""Vhosts declared with a port wildcard (`<VirtualHost ip:*>`, `<VirtualHost *:*>`) share an
address as httpd groups them (vhost.c: find_ipaddr, find_default_server, port 0): a name one of
them serves is served by name, never classed unknown-name, whichever of them comes first."""
import json

import pytest

STATUS = ('<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
          "SNIFallbackClients no-sni ip-literal unknown-name\n")


def vhosts(httpd, address: str, names) -> str:
    cert, key = httpd.pki.leaf("wild-ports.test", sans=list(names))
    out = []
    for name in names:
        docroot = httpd.root / "htdocs" / "a.test"
        out.append(f"""
<VirtualHost {address}>
    ServerName {name}
    DocumentRoot "{docroot}"
    SSLEngine on
    SSLCertificateFile "{cert}"
    SSLCertificateKeyFile "{key}"
</VirtualHost>
""")
    return "".join(out)


def connections(httpd, name: str) -> dict:
    r = httpd.curl("/snif-status?json", sni=name)[0]
    assert r.status == 200
    return json.loads(r.body)["connections"]


@pytest.mark.parametrize("address", ["127.0.0.1:*", "*:*", "mixed", "mixed-reversed",
                                     "any-v4-v6", "any-v6-v4"])
def test_names_of_port_wildcard_vhosts_are_served(httpd, address):
    names = ["p1.test", "p2.test", "p3.test"]
    if address == "mixed":
        # an exact-port vhost first, then wildcard-port ones: httpd gives the connection the
        # exact one's chain, whose names are only its own
        text = (vhosts(httpd, f"127.0.0.1:{httpd.https_port}", names[:1])
                + vhosts(httpd, "127.0.0.1:*", names[1:]))
        served, unknown = names[:1], names[1:]
    elif address == "mixed-reversed":
        # a wildcard-port vhost first: the exact-port ones still make a chain of their own
        # ("exactly one of us is a wildcard port"), the one connections to this port get
        text = (vhosts(httpd, "127.0.0.1:*", names[:1])
                + vhosts(httpd, f"127.0.0.1:{httpd.https_port}", names[1:]))
        served, unknown = names[1:], names[:1]
    elif address.startswith("any-"):
        # `*` and `[::]` are both httpd's "any address": one chain for the port
        # (find_default_server), in either order
        first, second = ("*", "[::]") if address == "any-v4-v6" else ("[::]", "*")
        text = (vhosts(httpd, f"{first}:{httpd.https_port}", names[:1])
                + vhosts(httpd, f"{second}:{httpd.https_port}", names[1:]))
        served, unknown = names, []
        # the module's forecast sees them on one address too: mod_ssl's 421 for the later two
        httpd.expected_log = [r"SNIF0036: on (\*|::):\d+, requests without SNI for 2 vhost"]
    else:
        text = vhosts(httpd, address, names)
        served, unknown = names, []
    httpd.start(STATUS + text, standard_vhosts=False)
    for name in served:
        assert httpd.curl("/", sni=name)[0].status == 200
    before = connections(httpd, served[0])
    assert before["unknown_name"] == 0, before
    for name in unknown:
        httpd.curl("/", sni=name, extra=["-k"])
    httpd.curl("/", sni="nothing-here.test", extra=["-k"])
    after = connections(httpd, served[0])
    assert after["unknown_name"] == len(unknown) + 1, after
