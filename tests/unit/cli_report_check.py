#!/usr/bin/python3
"""Black-box test of snifallback-report on the fixed logs of tests/data/report:

    cli_report_check.py SNIFALLBACK_REPORT DATA_DIR [--to-logfmt RECORD_TO_LOGFMT]
                                                               # tables, gzip, stdin, filters, names
                                                               # (and logfmt, mixed formats)
    cli_report_check.py SNIFALLBACK_REPORT DATA_DIR --html     # the HTML page in headless Chromium

DATA_DIR holds web1/nosni.log (with bad lines), web2/nosni.log, central.log (rsyslog's traditional
format, hosts web3 and web4), names.csv (FoxIO's columns), the expected tables expected.txt and
expected.csv, and in logfmt/ the same three logs as the module writes them under
SNIFallbackLogFormat logfmt (made by tests/unit/record_to_logfmt.cpp with the core's own writer;
checked here against its output). The .gz files (a rotated log, a truncated one) are made here
from the plain ones.
Every table is also compared with the same grouping computed in Python
(snifharness.report_model). Exit status 77: skipped (no Chromium for --html).
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from snifharness import report_model


def run(tool, *args, stdin=None, expect=0):
    proc = subprocess.run([tool, *map(str, args)], input=stdin, capture_output=True, timeout=120)
    assert proc.returncode == expect, (args, proc.returncode, proc.stderr.decode())
    return proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


def model(files_by_server):
    return report_model.summaries(report_model.rows(
        {s: Path(f).read_text().splitlines() for s, f in files_by_server.items()}))


def central_model(path):
    by_host = {}
    for line in Path(path).read_text().splitlines():
        by_host.setdefault(report_model.syslog_host(line) or "?", []).append(line)
    return report_model.summaries(report_model.rows(by_host))


def check_tables(tool, data, work):
    # A rotated, compressed log next to the plain one of another server, and a syslog file.
    os.makedirs(work / "web2")
    rotated = work / "web2" / "nosni.log.1.gz"
    with open(data / "web2" / "nosni.log", "rb") as src, gzip.GzipFile(rotated, "wb", mtime=0) as dst:
        shutil.copyfileobj(src, dst)
    shutil.copy(data / "web1" / "nosni.log", work / "web1.log")
    os.makedirs(work / "web1")
    shutil.copy(data / "web1" / "nosni.log", work / "web1" / "nosni.log")
    files = [work / "web1" / "nosni.log", rotated, data / "central.log"]
    names = ["--names", data / "names.csv"]

    os.chdir(work)  # relative names in the output, as an administrator would type them
    rel = [os.path.relpath(f, work) for f in files]
    text, err = run(tool, *rel, *names)
    want = (data / "expected.txt").read_text()
    assert text == want, "text table differs:\n" + text
    # bad lines: counted, listed with file and line, never fatal
    for where in ("web1/nosni.log:5: no JSON object", "web1/nosni.log:8: not JSON",
                  "web1/nosni.log:10: not a record: no \"time\"", "central.log:5: no JSON object"):
        assert where in err, (where, err)
    csv, _ = run(tool, *rel, *names, "--format", "csv")
    assert csv == (data / "expected.csv").read_bytes().decode(), "CSV differs:\n" + csv

    # JSON: the same numbers as the Python model of every server's lines
    out, _ = run(tool, *rel, *names, "--format", "json")
    report = json.loads(out)
    expected = model({"web1/nosni.log": files[0], "web2/nosni.log": data / "web2" / "nosni.log"})
    central = central_model(data / "central.log")
    for key, row in central.items():
        if key in expected:
            e = expected[key]
            for k in ("connections", "failed", "requests", "breaks"):
                e[k] += row[k]
            e["servers"] = sorted(set(e["servers"]) | set(row["servers"]))
        else:
            expected[key] = row
    # addresses and days overlap between servers: take them from one pass over all lines
    everything = report_model.rows({"all": sum((Path(f).read_text().splitlines()
                                                for f in (files[0], data / "web2" / "nosni.log",
                                                          data / "central.log")), [])})
    for key, row in everything.items():
        expected[key]["addresses"] = len(row.addresses)
        expected[key]["days"] = len(row.days)
    assert report_model.tool_rows(report) == expected, (report_model.tool_rows(report), expected)
    assert report["input"]["bad_lines"] == 4 and report["input"]["records"] == 16
    assert report["input"]["probes"] == 1
    named = {c["ja4"]: c["name"] for c in report["clients"]}
    assert named["t13i181000_85036bcba153_d41ae481755e"] == "Python"
    assert named["t12i0310h1_c866b44c5a26_c7e4a6b32e23"] == "Java 6"
    # hostile text stays text
    ua = [c["user_agent"] for c in report["clients"] if c["ja4"] is None][0]
    assert ua == "\x1b[31mred\"probe\u2028", ua
    assert "\x1b" not in text and "\x1b" not in csv

    # later --names files win
    out, _ = run(tool, *rel, *names, "--names", data / "names-local.csv", "--format", "json")
    named = {c["ja4"]: c["name"] for c in json.loads(out)["clients"]}
    assert named["t13i181000_85036bcba153_d41ae481755e"] == "Our monitoring (python-requests)"
    assert named["t12i0310h1_c866b44c5a26_c7e4a6b32e23"] == "Java 6"

    # standard input (and "-"): the same rows, server "stdin"
    joined = b"".join(Path(f).read_bytes() for f in (files[0], data / "web2" / "nosni.log"))
    a, _ = run(tool, "--format", "json", stdin=joined)
    b, _ = run(tool, "-", "--format", "json", stdin=gzip.compress(joined))  # gzip on stdin too
    rows_a = report_model.tool_rows(json.loads(a))
    assert rows_a == report_model.tool_rows(json.loads(b))
    assert rows_a == report_model.summaries(report_model.rows(
        {"stdin": joined.decode().splitlines()})), rows_a
    assert json.loads(a)["servers"][0]["server"] == "stdin"

    # per server: one row per client and server, as the model has it
    out, _ = run(tool, *rel, "--per-server", "--format", "json")
    per = report_model.tool_rows(json.loads(out), per_server=True)
    assert per[("no-sni", "t13i181000_85036bcba153_d41ae481755e", "web3")]["requests"] == 1
    assert per[("no-sni", "t13i181000_85036bcba153_d41ae481755e", "web1/nosni.log")] == \
        model({"web1/nosni.log": files[0]})[("no-sni", "t13i181000_85036bcba153_d41ae481755e")]

    text, _ = run(tool, *rel, "--per-server")
    table = text.split("\n\n")[1].splitlines()
    assert table[0].split()[:5] == ["BREAKS", "CLASS", "JA4", "SERVER", "NAME"], table[0]
    assert len(table) - 1 == len(per), (table, per)

    # filters
    def clients(*args):
        out, _ = run(tool, *rel, "--format", "json", *args)
        return {(c["class"], c["ja4"]): c for c in json.loads(out)["clients"]}

    only = clients("--class", "ip-literal")
    assert list(only) == [("ip-literal", "t12i0310h1_c866b44c5a26_c7e4a6b32e23")]
    assert only[("ip-literal", "t12i0310h1_c866b44c5a26_c7e4a6b32e23")]["connections"] == 2
    day = clients("--since", "2026-11-21", "--until", "2026-11-22")
    assert {k: (v["connections"], v["requests"]) for k, v in day.items()} == \
        {("no-sni", "t13i181000_85036bcba153_d41ae481755e"): (1, 1)}, day
    host = clients("--vhost", "B.test")
    assert {k: v["requests"] for k, v in host.items()} == \
        {("no-sni", "t13i181000_85036bcba153_d41ae481755e"): 1}, host
    server = clients("--server", "web4")
    assert list(server) == [("ip-literal", "t12i0310h1_c866b44c5a26_c7e4a6b32e23")]
    assert clients("--server", "nowhere") == {}

    # a truncated .gz: what it held before the cut is read, the cut is reported, exit status 1
    whole = gzip.compress(Path(files[0]).read_bytes() * 50, mtime=0)
    cut = work / "cut.log.gz"
    cut.write_bytes(whole[:len(whole) * 2 // 3])
    out, err = run(tool, cut, "--format", "json", expect=1)
    assert re.search(r"cut\.log\.gz: truncated gzip file \(unexpected end of file\), after line "
                     r"\d+", err), err
    report = json.loads(out)
    assert report["input"]["records"] > 7 * 20, report["input"]
    assert any(p["line"] is None and "truncated gzip" in p["reason"]
               for p in report["input"]["problems"])
    # corrupt gzip data and a missing file: reported, the others still read
    bad = bytearray(whole)
    bad[-8] ^= 0xFF  # the CRC-32 in the trailer: zlib finds the data does not match
    (work / "bad.log.gz").write_bytes(bytes(bad))
    out, err = run(tool, "bad.log.gz", "missing.log", rel[0], "--format", "json", expect=1)
    assert "bad.log.gz: corrupt gzip data" in err, err
    assert "missing.log: cannot open: No such file or directory" in err, err
    assert json.loads(out)["input"]["records"] >= 7

    # line ends: CRLF, a line too long to be a record (skipped whole, counted once), the last
    # line without '\n'; --problems bounds the list, the rest is counted
    plain = Path(files[0]).read_text().splitlines()
    records = [l for l in plain if report_model.record_of(l)]
    odd = work / "odd.log"
    odd.write_bytes(("\r\n".join(records[:3]) + "\r\n" + "x" * 100_000 + "\n" +
                     "y" * 5_000_000 + "\n" +  # longer than the read buffer
                     "\n".join(records[3:])).encode())  # no '\n' after the last one
    out, err = run(tool, odd, "--format", "json", "--problems", "0")
    report = json.loads(out)
    assert report["input"]["records"] == len(records), report["input"]
    assert report["input"]["bad_lines"] == 2 and report["input"]["problems"] == []
    assert report["input"]["lines"] == len(records) + 2
    assert "... and 2 more bad lines" in err, err
    assert report_model.tool_rows(report) == model({f"{work.name}/odd.log": files[0]}), report
    out, err = run(tool, odd, "--problems", "1", "--format", "json")
    assert json.loads(out)["input"]["problems"] == [
        {"file": str(odd), "line": 4, "reason": "a line longer than 65536 bytes"}], err

    # usage
    run(tool, "--help")
    run(tool, "--format", "xml", expect=2)
    run(tool, "--since", "yesterday", expect=2)
    run(tool, "--class", "sni", expect=2)
    print("cli_report_check: tables, gzip, stdin, filters, names and problems agree")


def check_logfmt(tool, data, work, to_logfmt):
    """The logfmt copies of the fixtures (tests/data/report/logfmt, made by the core's own logfmt
    writer from the JSON ones) give the same report as the JSON ones, and so does a file that
    mixes the two formats line by line."""
    names = ["web1/nosni.log", "web2/nosni.log", "central.log"]
    # the copies are what the writer makes of the JSON records
    for name in names:
        made = subprocess.run([to_logfmt], stdin=open(data / name, "rb"), capture_output=True,
                              timeout=60)
        assert made.returncode == 0, made.stderr.decode()
        assert made.stdout == (data / "logfmt" / name).read_bytes(), \
            f"logfmt/{name} is not what the writer makes of {name}: regenerate it (README)"

    def layout(directory, source):
        # the layout of check_tables: web2's log rotated and compressed
        os.makedirs(directory / "web1")
        os.makedirs(directory / "web2")
        shutil.copy(source / "web1" / "nosni.log", directory / "web1" / "nosni.log")
        with open(source / "web2" / "nosni.log", "rb") as src, \
                gzip.GzipFile(directory / "web2" / "nosni.log.1.gz", "wb", mtime=0) as dst:
            shutil.copyfileobj(src, dst)
        shutil.copy(source / "central.log", directory / "central.log")
        return ["web1/nosni.log", "web2/nosni.log.1.gz", "central.log"]

    def reports(directory, files):
        os.chdir(directory)
        out = {}
        for fmt in ("text", "csv", "json"):
            out[fmt], out[fmt + " errors"] = run(tool, *files, "--names", data / "names.csv",
                                                 "--format", fmt)
        return out

    files = layout(work / "json", data)
    layout(work / "logfmt", data / "logfmt")
    from_json = reports(work / "json", files)
    from_logfmt = reports(work / "logfmt", files)
    assert from_json["text"] == (data / "expected.txt").read_text(), from_json["text"]
    for key in from_json:
        assert from_logfmt[key] == from_json[key], (key, from_logfmt[key], from_json[key])
    # the bad lines are bad for the same reasons (the cut JSON line stays JSON in the copy)
    for where in ("web1/nosni.log:5: no JSON object or logfmt record on the line",
                  "web1/nosni.log:8: not JSON", "web1/nosni.log:10: not a record: no \"time\"",
                  "central.log:5: no JSON object or logfmt record"):
        assert where in from_logfmt["text errors"], (where, from_logfmt["text errors"])

    # a log whose writer switched formats: odd lines JSON, even lines logfmt, and a logfmt record
    # cut inside a quoted value where the JSON one was cut
    json_lines = (data / "web1" / "nosni.log").read_bytes().split(b"\n")
    logfmt_lines = (data / "logfmt" / "web1" / "nosni.log").read_bytes().split(b"\n")
    assert len(json_lines) == len(logfmt_lines)
    mixed = [j if i % 2 == 0 else l for i, (j, l) in enumerate(zip(json_lines, logfmt_lines))]
    assert mixed[7].startswith(b'{"time":"2026-11-21T09:00:01.000Z"'), mixed[7]
    mixed[7] = b'time=2026-11-21T09:00:01.000Z event=request client_ip=192.0.2.11 uri="/cut'
    (work / "logfmt" / "web1" / "nosni.log").write_bytes(b"\n".join(mixed))
    from_mixed = reports(work / "logfmt", files)
    assert from_mixed["text"] == from_json["text"], from_mixed["text"]
    assert from_mixed["csv"] == from_json["csv"]
    assert report_model.tool_rows(json.loads(from_mixed["json"])) == \
        report_model.tool_rows(json.loads(from_json["json"]))
    assert "web1/nosni.log:8: not logfmt: unterminated quoted value of \"uri\"" in \
        from_mixed["text errors"], from_mixed["text errors"]

    # standard input: logfmt and JSON, the same rows
    joined_json = b"".join((data / n).read_bytes() for n in names[:2])
    joined_logfmt = b"".join((data / "logfmt" / n).read_bytes() for n in names[:2])
    a, _ = run(tool, "--format", "json", stdin=joined_json)
    b, _ = run(tool, "--format", "json", stdin=joined_logfmt)
    assert report_model.tool_rows(json.loads(a)) == report_model.tool_rows(json.loads(b))
    print("cli_report_check: logfmt and mixed logs give the JSON logs' report")


def check_html(tool, data, work):
    from snifharness.browser import CHROMIUM, chromium, png_rows, rows_with_colour
    if CHROMIUM is None:
        print("cli_report_check: Chromium is not installed (scripts/deps.sh installs it)")
        return 77
    page = work / "report.html"
    run(tool, data / "web1" / "nosni.log", data / "web2" / "nosni.log", data / "central.log",
        "--names", data / "names.csv", "--format", "html", "-o", page)
    html = page.read_text()
    # self-contained: no script, no reference to anything outside the page
    assert "<script" not in html.lower(), "a script element"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "an event handler attribute"
    assert not re.search(r"(src|href)\s*=", html, re.I), "a src or href attribute"
    assert not re.search(r"url\(|@import", html, re.I), "a CSS reference"
    assert "default-src 'none'" in html
    # Chromium renders it: the DOM it builds holds the table, with the hostile text as text
    done = chromium("--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr
    dom = done.stdout
    assert dom.count("<tr>") >= 4 + 1, dom
    assert "<b>x</b>" not in dom and "&lt;b&gt;x&lt;/b&gt;.test" in dom
    assert "Python" in dom and "Java 6" in dom and "<svg" in dom
    # and draws the chart: the no-SNI line's orange (#d55e00) is on the screenshot
    shot = work / "report.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1000,900", "--hide-scrollbars",
                    page.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr
    width, height, _ = png_rows(shot.read_bytes())
    assert (width, height) == (1000, 900)
    orange = rows_with_colour(shot.read_bytes(), (0xd5, 0x5e, 0x00))
    assert len(orange) >= 3, orange
    print("cli_report_check: the HTML page renders in Chromium, self-contained")
    return 0


def main():
    tool, data = os.path.abspath(sys.argv[1]), Path(sys.argv[2]).resolve()
    to_logfmt = None
    if "--to-logfmt" in sys.argv[3:]:
        to_logfmt = os.path.abspath(sys.argv[sys.argv.index("--to-logfmt") + 1])
    work = Path(tempfile.mkdtemp(prefix="snif-report-"))
    try:
        if "--html" in sys.argv[3:]:
            return check_html(tool, data, work)
        check_tables(tool, data, work)
        if to_logfmt:
            check_logfmt(tool, data, work, to_logfmt)
        return 0
    finally:
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
