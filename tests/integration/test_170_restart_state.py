"""What survives a graceful restart (httpd/shared_stats.h, README "Upgrading and removing"):
counts of an old generation's lingering connections and a new generation's add up exactly;
counter rows of removed vhosts are reused one restart later, from zero; running out of rows is
logged (SNIF0075); SNIFallbackServerStatus off leaves mod_status's section out."""
import json
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor

import pytest

from snifharness.apache import MODULES_DIR
from snifharness.clients import https_get
from snifharness.httpd import vhost_block

STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
LINGERING = 12  # no-SNI connections of the old generation, open across the restart
NEW = 40        # no-SNI connections of the new generation, while the old ones send requests


def status(httpd) -> dict:
    # with SNI: the status request adds no fallback connection
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


def no_sni_connection(port: int) -> ssl.SSLSocket:
    """A finished TLS handshake without SNI, no request yet (Python's ssl, as https_get)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=60)
    tls = ctx.wrap_socket(raw, server_hostname=None)
    tls.do_handshake()
    return tls


def requests_on(tls: ssl.SSLSocket) -> int:
    """Three pipelined requests on a lingering connection, the last closing it: how many the
    server answered (an MPM that is stopping may answer only the first)."""
    request = "GET / HTTP/1.1\r\nHost: default.test\r\nUser-Agent: lingering\r\n"
    tls.sendall(((request + "\r\n") * 2 + request + "Connection: close\r\n\r\n").encode())
    data = b""
    try:
        while chunk := tls.recv(65536):
            data += chunk
    except (ssl.SSLError, OSError):
        pass
    finally:
        tls.close()
    return data.count(b"HTTP/1.1 200 ")


def new_connection(port: int) -> int:
    raw = https_get(port, "/", host="default.test", user_agent="new-generation", timeout=60)
    return 1 if raw.startswith(b"HTTP/1.1 200 ") else 0


# The mechanism of the inventory's mutex (`Mutex`): the default, and SysV semaphores, which are
# removed with the pool that created them: a mutex made per generation would vanish under the old
# generation's children at the restart, and their inventory updates with it.
@pytest.mark.parametrize("mutex", ["default", "sysvsem"])
def test_old_and_new_generation_counts_add_up_across_a_graceful_restart(httpd, mutex):
    httpd.start(STATUS + f"Mutex {mutex} snifallback-inventory\n")
    old = [no_sni_connection(httpd.https_port) for _ in range(LINGERING)]
    httpd.graceful()
    with ThreadPoolExecutor(12) as pool:
        jobs = [pool.submit(requests_on, tls) for tls in old]
        jobs += [pool.submit(new_connection, httpd.https_port) for _ in range(NEW)]
        answered = [job.result() for job in jobs]
    old_answers, new_answers = sum(answered[:LINGERING]), sum(answered[LINGERING:])
    assert all(n >= 1 for n in answered[:LINGERING]), answered
    assert new_answers == NEW
    doc = status(httpd)
    connections = LINGERING + NEW
    assert doc["connections"]["no_sni"] == connections
    assert doc["connections"]["no_sni_established"] == connections
    assert doc["requests"]["no_sni"] == old_answers + new_answers
    assert doc["vhosts"]["default.test"]["requests"]["no_sni"] == old_answers + new_answers
    # one inventory sighting per connection, whichever generation's child recorded it
    assert sum(c["count"] for c in doc["clients"]) == connections
    keys = [(c["client_ip"], c["class"], c["ja4"]) for c in doc["clients"]]
    assert len(keys) == len(set(keys))  # no client twice (a torn update would show one)


def extra_vhosts(httpd, names) -> str:
    cert, key = httpd.pki.leaf("sites.test", sans=[*names, "sites.test"])
    return "".join(vhost_block(httpd.https_port, name, httpd.root / "htdocs" / "a.test", cert,
                               key, "") for name in names)


def restart_with(httpd, names) -> None:
    httpd.write_config(snippet=STATUS + extra_vhosts(httpd, names))
    httpd.mark_log()
    httpd.graceful()


def test_rows_of_removed_vhosts_are_reused_from_zero_and_running_out_is_logged(httpd):
    # 5 servers (localhost and the four vhosts): room for 2 * 5 + 16 = 26 rows
    httpd.start(STATUS)
    first = [f"x{i}.test" for i in range(20)]
    restart_with(httpd, first)  # 25 rows taken
    for name in first[:3]:
        https_get(httpd.https_port, "/", host=name)  # no SNI: counted in x0..x2's rows
    doc = status(httpd)
    assert all(doc["vhosts"][name]["requests"]["no_sni"] == 1 for name in first[:3])
    second = [f"y{i}.test" for i in range(20)]
    # The x rows belong to the previous generation, whose children may still count: one row
    # is free, 19 vhosts go without, and the module says so.
    httpd.expected_log = [r"SNIF0075: 19 virtual hosts \(e\.g\. 'y\d+\.test'\) have no counters"]
    restart_with(httpd, second)
    assert "SNIF0075: 19 virtual hosts" in httpd.new_error_log()
    doc = status(httpd)
    assert len(set(second) - set(doc["vhosts"])) == 19
    assert not set(first) & set(doc["vhosts"])  # this generation lists its own vhosts
    # One restart later the x rows are free: every y vhost has its row, starting from zero.
    httpd.expected_log = []
    restart_with(httpd, second)
    assert "SNIF0075" not in httpd.new_error_log()
    doc = status(httpd)
    assert set(second) <= set(doc["vhosts"])
    assert all(doc["vhosts"][name]["requests"]["no_sni"] == 0 for name in second)
    httpd.expected_log = [r"AH02032: .*y7\.test"]  # mod_ssl's 421: a certificate of its own
    https_get(httpd.https_port, "/", host="y7.test")
    doc = status(httpd)
    assert doc["vhosts"]["y7.test"]["requests"]["no_sni"] == 1
    assert doc["requests"]["no_sni"] == 4  # the totals kept everything


MOD_STATUS = (f"LoadModule status_module {MODULES_DIR}/mod_status.so\n"
              "<Location /server-status>\n SetHandler server-status\n</Location>\n")


def test_server_status_section_can_be_left_out(httpd):
    httpd.start(STATUS + MOD_STATUS)
    https_get(httpd.https_port, "/")
    auto = httpd.curl("/server-status?auto", sni="a.test")[0].body
    assert "SNIFallbackConnectionsNoSNI: 1\n" in auto
    page = httpd.curl("/server-status", sni="a.test")[0].body
    assert "mod_snifallback" in page and "1 most frequent clients" in page
    httpd.start(STATUS + MOD_STATUS + "SNIFallbackServerStatus off\n")
    https_get(httpd.https_port, "/")
    auto = httpd.curl("/server-status?auto", sni="a.test")[0].body
    assert "SNIFallback" not in auto and "Scoreboard: " in auto
    assert "mod_snifallback" not in httpd.curl("/server-status", sni="a.test")[0].body
    # the module's own handler is not affected
    assert status(httpd)["connections"]["no_sni"] == 1


def test_server_status_directive_is_checked(httpd):
    r = httpd.config_test(snippet="SNIFallbackServerStatus maybe\n")
    assert r.returncode != 0
    assert "SNIFallbackServerStatus" in r.stdout + r.stderr
    r = httpd.config_test(vhost_extra={"b.test": "SNIFallbackServerStatus off"})
    assert r.returncode != 0
    assert "SNIFallbackServerStatus" in r.stdout + r.stderr
