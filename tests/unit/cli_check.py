#!/usr/bin/python3
"""Black-box test of snifallback-fp: cli_check.py SNIFALLBACK_FP OWN.jsonl [PUBLIC.jsonl]

Feeds the vectors (records and handshake forms), blank lines, spaced hex, garbage and crafted hellos
with hostile SNI/ALPN bytes to the tool and checks every output line: valid one-line JSON, the same
values as the vector files, errors as {"error": ...}, exit status 0.
"""
import codecs
import json
import os
import subprocess
import sys

VERSION_NAMES = {"0x0304": "TLSv1.3", "0x0303": "TLSv1.2", "0x0302": "TLSv1.1",
                 "0x0301": "TLSv1", "0x0300": "SSLv3"}


# The log's rule, which the tool shares (core/escape.h): every byte that is not part of a
# well-formed UTF-8 sequence becomes one U+FFFD.
codecs.register_error("byte_as_replacement",
                      lambda e: ("\ufffd" * (e.end - e.start), e.end))


def as_log_text(data):
    return data.decode("utf-8", errors="byte_as_replacement")


def run(tool, lines):
    proc = subprocess.run([tool], input="".join(l + "\n" for l in lines).encode(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert proc.returncode == 0, "exit status %d: %s" % (proc.returncode, proc.stderr)
    out = proc.stdout.decode("utf-8")  # must be valid UTF-8
    assert out.endswith("\n") or not out
    return [json.loads(line) for line in out.splitlines()]


def hello(extensions):
    """A TLS 1.2 record holding a ClientHello with one cipher and the given (type, body) extensions."""
    ext = b"".join(t.to_bytes(2, "big") + len(b).to_bytes(2, "big") + b for t, b in extensions)
    body = (b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00" +
            len(ext).to_bytes(2, "big") + ext)
    msg = b"\x01" + len(body).to_bytes(3, "big") + body
    return (b"\x16\x03\x01" + len(msg).to_bytes(2, "big") + msg).hex()


def sni_ext(name):
    entry = b"\x00" + len(name).to_bytes(2, "big") + name
    return (0x0000, len(entry).to_bytes(2, "big") + entry)


def alpn_ext(*names):
    lst = b"".join(bytes([len(n)]) + n for n in names)
    return (0x0010, len(lst).to_bytes(2, "big") + lst)


def check_vectors(tool, path):
    vectors = [json.loads(l) for l in open(path) if l.strip()]
    lines = []
    for v in vectors:
        lines += [v["record_hex"], "", v["handshake_hex"].upper()]
    out = run(tool, lines)
    assert len(out) == 2 * len(vectors), (len(out), len(vectors))
    for i, v in enumerate(vectors):
        e = v["expected"]
        for o in out[2 * i:2 * i + 2]:
            assert "error" not in o, (v["id"], o)
            got = (o["ja3"], o["ja3_hash"], o["ja4"], o["ja4_r"], o["sni"], o["tls_offered_max"])
            want = (e["ja3_string"], e["ja3_md5"], e["ja4"], e["ja4_r"],
                    e["sni"] if e["sni_present"] else None,
                    VERSION_NAMES.get(e["highest_version"], e["highest_version"]))
            assert got == want, (v["id"], got, want)
            # tshark's text of the ALPN values, as the vectors record it
            assert o["alpn"] == e["alpn"], (v["id"], o["alpn"], e["alpn"])
            if "alpn_hex" in v:
                assert o["alpn"] == [as_log_text(bytes.fromhex(h)) for h in v["alpn_hex"]]
            if v["id"] == "foxio-tls-non-ascii-alpn-f1":  # ALPN bytes ba ad
                assert o["alpn"] == ["\ufffd\ufffd", "http/1.1"], o["alpn"]
    return len(vectors)


def main():
    tool, own = sys.argv[1], sys.argv[2]
    public = sys.argv[3] if len(sys.argv) > 3 else ""
    n = check_vectors(tool, own)
    if public and os.path.exists(public):
        n += check_vectors(tool, public)

    # Errors, blank lines, spaced and truncated hex.
    full = hello([sni_ext(b"example.org")])
    spaced = " ".join(full[i:i + 2] for i in range(0, len(full), 2))
    out = run(tool, ["zz", "  ", "0102", "17030300050000000000", "1", full[:-2], spaced, full])
    assert out[0] == {"error": "invalid hex"}, out[0]
    assert out[1] == {"error": "truncated"}, out[1]
    assert out[2] == {"error": "not-handshake"}, out[2]
    assert out[3] == {"error": "invalid hex"}, out[3]
    assert out[4] == {"error": "truncated"}, out[4]
    assert out[5] == out[6], (out[5], out[6])
    assert out[6]["sni"] == "example.org" and out[6]["ja4"].startswith("t12d0101"), out[6]
    assert len(out) == 7

    # Hostile bytes in SNI and ALPN: escaped as in the log, one line, invalid UTF-8 as U+FFFD.
    raw = run(tool, [hello([sni_ext(b'a"b\\c\x01\n\x7f\xff\xc3\xa9\xe2\x80\xa8'),
                            alpn_ext(b"\xba\xad", b"h2")])])
    assert raw[0]["sni"] == 'a"b\\c\x01\n\x7f\ufffd\u00e9\u2028', raw[0]
    assert raw[0]["alpn"] == ["\ufffd\ufffd", "h2"], raw[0]
    assert raw[0]["ja4"].startswith("t12d0102bd_"), raw[0]
    text = subprocess.run([tool], input=(hello([sni_ext(b"x\xff\xe2\x80\xa8")]) + "\n").encode(),
                          stdout=subprocess.PIPE, check=True).stdout
    assert b'"sni":"x\\ufffd\\u2028"' in text, text  # raw text: escapes, one line

    # No SNI -> null; `--help` works; an unknown option is refused.
    assert run(tool, [hello([])])[0]["sni"] is None
    assert subprocess.run([tool, "--help"], stdout=subprocess.DEVNULL).returncode == 0
    assert subprocess.run([tool, "--bogus"], stderr=subprocess.DEVNULL).returncode == 2
    print("cli_check: %d vectors and the edge cases agree" % n)


if __name__ == "__main__":
    main()
