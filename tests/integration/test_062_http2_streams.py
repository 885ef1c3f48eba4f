"""One no-SNI HTTP/2 connection with many concurrent streams is one client and one connection.

Its streams run on several worker threads at once and share the connection's state: the module must
count the connection once, put it in the client inventory once, and write one record per stream.
"""
import json
import subprocess

import pytest

STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
STREAMS = 100


def status(httpd) -> dict:
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_streams_count_once(httpd, round_):
    if httpd.mpm == "prefork":
        pytest.skip("mod_http2 does not run under the prefork MPM")
    httpd.start("SNIFallbackLog logs/nosni.json\n" + STATUS
                + f"H2MaxSessionStreams {STREAMS}\nH2MaxWorkers 16\n")
    # One connection (-c1), all streams in flight at once (-m), no SNI (an IP URL).
    done = subprocess.run(["h2load", "-c1", "-m", str(STREAMS), "-n", str(STREAMS),
                           "-H", "User-Agent: h2-streams-test", httpd.url(path="/")],
                          capture_output=True, text=True, timeout=120)
    assert f"{STREAMS} succeeded" in done.stdout, done.stdout
    doc = status(httpd)
    assert doc["connections"]["no_sni"] == 1
    assert doc["connections"]["no_sni_established"] == 1
    assert doc["requests"]["no_sni"] == STREAMS
    [client] = doc["clients"]
    assert (client["count"], client["user_agent"]) == (1, "h2-streams-test")
    text = httpd.wait_for_log("nosni.json", lambda t: t.count('"event":"request"') >= STREAMS)
    events = [json.loads(line)["event"] for line in text.splitlines()]
    assert events.count("handshake") == 1 and events.count("request") == STREAMS
