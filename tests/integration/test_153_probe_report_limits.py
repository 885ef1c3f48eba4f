"""The probe's report endpoint is open to anyone, over plain HTTP too: what it writes is bounded.
At most one record per connection (pipelined and keep-alive requests included), at most 10 a
second per child process, `result` one of the documented values or "other"; every report not
written is counted in log.probe_reports_dropped, and still answered 204."""
from __future__ import annotations

import json
import socket
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from snifharness.process import wait_until

LOCATION = '<Location "/sni-probe">\n    SetHandler snifallback-probe\n</Location>\n'
STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
PER_SECOND_PER_CHILD = 10
# the most child processes the harness's MPM settings allow (snifharness.httpd.MPM_TUNING)
MAX_CHILDREN = {"event": 4, "worker": 4, "prefork": 16}


def config(httpd) -> str:
    http = f"http://127.0.0.1:{httpd.http_port}"
    return (LOCATION + STATUS + "SNIFallbackLog logs/nosni.json\n"
            f"SNIFallbackProbePixel https://a.test:{httpd.https_port}/sni-probe/pixel.gif\n"
            f"SNIFallbackProbeSuccess {http}/success.html\n"
            f"SNIFallbackProbeFailure {http}/failure.html\n")


def probe_records(httpd) -> list[dict]:
    text = httpd.log("nosni.json")
    return [r for r in map(json.loads, text.splitlines()) if r["event"] == "probe"]


def dropped(httpd) -> int:
    url = f"http://127.0.0.1:{httpd.http_port}/snif-status?json"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)["log"]["probe_reports_dropped"]


def report(httpd, query: str) -> int:
    url = f"http://127.0.0.1:{httpd.http_port}/sni-probe/report?{query}"
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status


def test_pipelined_reports_on_one_connection_write_one_record(httpd):
    httpd.start(config(httpd))
    one = (b"GET /sni-probe/report?result=sni-failed&page=x HTTP/1.1\r\n"
           b"Host: 127.0.0.1\r\nUser-Agent: pipeliner\r\n\r\n")
    last = one.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n")
    with socket.create_connection(("127.0.0.1", httpd.http_port), timeout=60) as s:
        s.sendall(one * 100 + last)  # 101 requests in one go
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.count(b"HTTP/1.1 204 No Content") == 101
    assert wait_until(lambda: dropped(httpd) == 100, timeout=60), dropped(httpd)
    assert [r["user_agent"] for r in probe_records(httpd)] == ["pipeliner"]


def test_keep_alive_reports_over_tls_without_sni_write_one_record(httpd):
    httpd.start(config(httpd))
    responses = httpd.curl(*["/sni-probe/report?result=sni-failed"] * 5)
    assert [r.status for r in responses] == [204] * 5
    assert wait_until(lambda: dropped(httpd) == 4, timeout=60), dropped(httpd)
    assert len(probe_records(httpd)) == 1


def test_result_is_a_documented_value_or_other(httpd):
    httpd.start(config(httpd))
    for query in ("result=sni-failed", "result=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                  "result=" + "x" * 2000, "page=no-result"):
        assert report(httpd, query) == 204
    assert wait_until(lambda: len(probe_records(httpd)) == 4, timeout=60)
    assert sorted(r["result"] for r in probe_records(httpd)) == ["other", "other", "other",
                                                                  "sni-failed"]
    assert dropped(httpd) == 0


def test_many_connections_are_held_to_the_rate_and_the_rest_counted(httpd):
    httpd.start(config(httpd))
    total = 400
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda i: report(httpd, f"result=sni-failed&page={i}"),
                                 range(total)))
    elapsed = time.monotonic() - started
    assert statuses == [204] * total
    # every report is either a record or counted (records are written before the answer)
    assert wait_until(lambda: len(probe_records(httpd)) + dropped(httpd) == total, timeout=60), \
        (len(probe_records(httpd)), dropped(httpd))
    written = len(probe_records(httpd))
    # seconds the burst touched, each allowing 10 per child process
    bound = PER_SECOND_PER_CHILD * MAX_CHILDREN[httpd.running_mpm] * (int(elapsed) + 2)
    assert 0 < written <= bound, (written, bound, elapsed)
    if total > bound:
        assert dropped(httpd) > 0
