"""The load: h2load pinned to the client CPU, against an IP URL (no SNI) or a name (SNI)."""
from __future__ import annotations

from servers import CLIENT_CPU, DEFAULT_VHOST, SNI_VHOST

from snifharness.h2load import h2load


def url_args(port: int, sni: bool) -> list[str]:
    """h2load's target: with SNI a.test over a connection to the loopback address; without, an
    IP URL (h2load sends no SNI) whose Host names the site, as an old browser does (a Host that is
    an address would make the module exempt the request)."""
    if sni:
        return url_for(port, SNI_VHOST)
    return ["-H", f":authority: {DEFAULT_VHOST}", f"https://127.0.0.1:{port}/"]


def url_for(port: int, name: str) -> list[str]:
    """h2load's target: `name` in SNI and Host, over a connection to the loopback address."""
    return [f"--connect-to=127.0.0.1:{port}", f"https://{name}:{port}/"]


def h2load_run(args: list[str], expect_status: str = "2xx") -> tuple[float, int]:
    """(requests per second, requests done) of one h2load run; raises when requests failed."""
    r = h2load(["-t1", *args], prefix=["taskset", "-c", CLIENT_CPU], timeout=300)
    succeeded, failed, codes = r.succeeded, r.failed, r.codes
    # In duration mode, h2load's status counts may include a few responses that arrived after
    # the end of the measurement: demand that all counted responses have the expected class.
    others = sum(v for k, v in codes.items() if k != expect_status)
    if expect_status in ("4xx", "5xx"):
        # h2load counts 4xx and 5xx answers (the notice page) as failed requests.
        succeeded, failed = failed, 0
    if failed or r.errored or succeeded == 0 or codes[expect_status] < succeeded or others:
        raise RuntimeError(f"h2load: {succeeded} succeeded, {failed} failed, {r.errored} errored, "
                           f"codes {codes} (h2load {' '.join(args)}):\n{r.output}")
    return r.rate, succeeded


def h2load_rate(args: list[str], expect_status: str = "2xx") -> float:
    """Requests per second of one h2load run; raises when requests failed."""
    return h2load_run(args, expect_status)[0]
