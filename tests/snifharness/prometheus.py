"""A real Prometheus server (Debian's prometheus package) and promtool, for the metrics tests.

The server runs in the foreground as our child, with a generated configuration, its storage in a
fresh temporary directory and its web interface on a free loopback port: it never meets the
system service the package installs (which listens on :9090). Queries go through its HTTP API.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from snifharness import process
from snifharness.ports import free_port

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
# The API is on loopback: never through a proxy named in the environment.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def check_metrics(text: str) -> subprocess.CompletedProcess:
    """`promtool check metrics` on an exposition; returns the finished process (its verdict is
    the exit status, its complaints on stdout and stderr)."""
    return process.run([PROMTOOL, "check", "metrics"], input=text, check=False)


def check_config(path: Path) -> subprocess.CompletedProcess:
    """`promtool check config` on a configuration file."""
    return process.run([PROMTOOL, "check", "config", str(path)], check=False)


def snifallback_job(name: str, ports: list[int], ca_file: Path, server_name: str,
                    metrics_path: str) -> dict:
    """A scrape job for the module's status handler on 127.0.0.1:`ports`, over HTTPS, as an SNI
    client of `server_name` that checks the certificate against `ca_file`."""
    return {
        "job_name": name,
        "scheme": "https",
        "metrics_path": metrics_path,
        "params": {"metrics": [""]},  # ?metrics=
        "tls_config": {"ca_file": str(ca_file), "server_name": server_name},
        "static_configs": [{"targets": [f"127.0.0.1:{port}" for port in ports]}],
    }


class PrometheusError(RuntimeError):
    pass


class Prometheus:
    """One prometheus server. `start(scrape_configs)` writes the configuration and starts it.

    The configuration is written as JSON, which Prometheus' YAML reader takes as it is."""

    def __init__(self, scrape_interval: str = "1s", start_timeout: float = 60):
        self.scrape_interval = scrape_interval
        self.start_timeout = start_timeout
        self.root = Path(tempfile.mkdtemp(prefix="snif-prometheus-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def config_path(self) -> Path:
        return self.root / "prometheus.yml"

    def start(self, scrape_configs: list[dict]) -> "Prometheus":
        self.stop()
        config = {"global": {"scrape_interval": self.scrape_interval,
                             "scrape_timeout": self.scrape_interval},
                  "scrape_configs": scrape_configs}
        self.config_path.write_text(json.dumps(config, indent=2) + "\n")
        checked = check_config(self.config_path)
        if checked.returncode != 0:
            raise PrometheusError(f"promtool check config:\n{checked.stdout}{checked.stderr}")
        self._log = open(self.root / "prometheus.log", "w")
        cmd = [PROMETHEUS, f"--config.file={self.config_path}",
               f"--storage.tsdb.path={self.root / 'data'}",
               f"--web.listen-address=127.0.0.1:{self.port}"]
        self.proc = process.launch(cmd, lambda _: self._ready(), self.start_timeout, "prometheus",
                                   stdout=self._log, diagnose=self.log, step=0.2)
        return self

    def _ready(self) -> bool:
        try:
            with _HTTP.open(f"{self.url}/-/ready", timeout=2) as answer:
                return answer.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        process.stop(self.proc, grace=20)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "prometheus.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- HTTP API -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, **params) -> dict:
        """GET /api/v1/`path`; the `data` of a successful answer, else PrometheusError."""
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with _HTTP.open(url, timeout=30) as answer:
                doc = json.load(answer)
        except urllib.error.HTTPError as error:  # 400, 422: the query's error is in the body
            doc = json.load(error)
        if doc.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {doc.get('errorType')}: {doc.get('error')}")
        return doc["data"]

    def query(self, expr: str) -> list[dict]:
        """An instant query at the current time: the vector's samples, each {"metric": labels,
        "value": [time, "value"]}."""
        data = self.api("query", query=expr)
        if data["resultType"] != "vector":
            raise PrometheusError(f"{expr}: a {data['resultType']}, not a vector")
        return data["result"]

    def values(self, expr: str, *labels: str) -> dict:
        """An instant query as {tuple of the values of `labels`: number}."""
        out = {}
        for sample in self.query(expr):
            key = tuple(sample["metric"].get(name, "") for name in labels)
            if key in out:
                raise PrometheusError(f"{expr}: two samples for {dict(zip(labels, key))}")
            out[key] = float(sample["value"][1])
        return out

    def wait_for_scrapes(self, after: float, instances: set[str], timeout: float = 120) -> None:
        """Waits until every target in `instances` ("127.0.0.1:port") has a successful scrape
        that began after the time `after` (time.time()) and whose samples are stored.

        A scrape's samples carry the time it began; `up` is stored with them. Prometheus may move
        that time by up to 2 ms to align scrapes (--scrape.timestamp-tolerance): hence the margin.
        timestamp() gives a sample's time only when applied to a selector itself (of `up == 1`
        it gives the time of the query), so successful scrapes are picked with `and`.
        """
        expr = "timestamp(up) and up == 1"
        seen: dict = {}

        def scraped() -> bool:
            nonlocal seen
            seen = {s["metric"]["instance"]: float(s["value"][1]) for s in self.query(expr)}
            return all(seen.get(i, 0) > after + 0.01 for i in instances)

        if not process.wait_until(scraped, timeout, step=0.2):
            raise PrometheusError(
                f"no successful scrape of {sorted(instances)} since {after:.3f} in {timeout:g} s "
                f"(last: {seen}); targets: {self.api('targets', state='active')}\n{self.log()}")
