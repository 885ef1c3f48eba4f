#!/usr/bin/env bash
# Capture the ClientHellos of real TLS clients on this machine over loopback and write them, with
# the values Debian's tshark computes for them, as the project's own test vectors:
#
#   scripts/capture_hellos.sh [output.jsonl]      (default tests/data/client_hellos.jsonl)
#
# Each client connects to its own `openssl s_server` port (a throwaway self-signed certificate) while
# one tshark captures the whole port range; afterwards tshark's dissector supplies, per hello, the
# raw record bytes (tcp.payload), JA3 text and MD5, server name, ALPN, supported versions, cipher and
# extension lists and signature algorithms. JA4 is not computed by tshark 4.0: the expected JA4 and
# JA4_r come from a short Python rendition of FoxIO's specification over tshark's lists — an opinion
# independent of the C++ parser. Needs root (or capture rights) for tshark on `lo`. Clients missing
# from the machine are skipped with a note; optional ones: gnutls-cli, node, java, h2load, wget.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/tests/data/client_hellos.jsonl}
base_port=${SNIFALLBACK_CAPTURE_PORT:-47400}
python=/usr/bin/python3

work=$(mktemp -d)
server_pid=
tshark_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$tshark_pid" ] && kill "$tshark_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for tool in openssl tshark "$python"; do
  command -v "$tool" >/dev/null || { echo "capture_hellos: $tool is required" >&2; exit 1; }
done

cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null

# --- clients -------------------------------------------------------------------------------------
# label | server options | client command ({PORT} is replaced). Labels are the vector ids.
cat > clients.txt <<'EOF'
openssl-default-sni||openssl s_client -connect localhost:{PORT} -servername localhost
openssl-ip-default||openssl s_client -connect 127.0.0.1:{PORT}
openssl-noservername||openssl s_client -connect 127.0.0.1:{PORT} -noservername
openssl-ip-in-sni||openssl s_client -connect 127.0.0.1:{PORT} -servername 127.0.0.1
openssl-tls12-sni||openssl s_client -connect 127.0.0.1:{PORT} -tls1_2 -servername localhost
openssl-tls12-nosni||openssl s_client -connect 127.0.0.1:{PORT} -tls1_2 -noservername
openssl-tls12-alpn-nosni||openssl s_client -connect 127.0.0.1:{PORT} -tls1_2 -noservername -alpn http/1.1
openssl-tls13-sni-alpn||openssl s_client -connect 127.0.0.1:{PORT} -tls1_3 -servername localhost -alpn h2,http/1.1
openssl-tls13-nosni-alpn||openssl s_client -connect 127.0.0.1:{PORT} -tls1_3 -noservername -alpn h2,http/1.1
openssl-tls11-nosni|-cipher DEFAULT@SECLEVEL=0|openssl s_client -connect 127.0.0.1:{PORT} -tls1_1 -cipher DEFAULT@SECLEVEL=0 -noservername
openssl-tls10-sni|-cipher DEFAULT@SECLEVEL=0|openssl s_client -connect 127.0.0.1:{PORT} -tls1 -cipher DEFAULT@SECLEVEL=0 -servername localhost
openssl-alpn-one-byte||openssl s_client -connect 127.0.0.1:{PORT} -noservername -alpn x,http/1.1
openssl-alpn-non-alnum||openssl s_client -connect 127.0.0.1:{PORT} -noservername -alpn _h2/,http/1.1
openssl-hrr-nosni|-groups P-384|openssl s_client -connect 127.0.0.1:{PORT} -tls1_3 -noservername -groups X25519:P-384
curl-ip-url||curl -sk -o /dev/null --max-time 5 https://127.0.0.1:{PORT}/
curl-resolve-sni||curl -sk -o /dev/null --max-time 5 --resolve localhost:{PORT}:127.0.0.1 https://localhost:{PORT}/
curl-ip-http11-tls12||curl -sk -o /dev/null --max-time 5 --http1.1 --tlsv1.2 --tls-max 1.2 https://127.0.0.1:{PORT}/
python-ssl-nosni||/usr/bin/python3 -c "import socket,ssl,sys;c=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE;s=c.wrap_socket(socket.create_connection(('127.0.0.1',int(sys.argv[1]))),server_hostname=None);s.close()" {PORT}
python-ssl-sni||/usr/bin/python3 -c "import socket,ssl,sys;c=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE;s=c.wrap_socket(socket.create_connection(('127.0.0.1',int(sys.argv[1]))),server_hostname='localhost');s.close()" {PORT}
python-ssl-alpn-nosni||/usr/bin/python3 -c "import socket,ssl,sys;c=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE;c.set_alpn_protocols(['h2','http/1.1']);s=c.wrap_socket(socket.create_connection(('127.0.0.1',int(sys.argv[1]))),server_hostname=None);s.close()" {PORT}
gnutls-cli-nosni||gnutls-cli --insecure --port {PORT} 127.0.0.1
gnutls-cli-sni||gnutls-cli --insecure --port {PORT} --sni-hostname localhost 127.0.0.1
gnutls-cli-alpn-sni||gnutls-cli --insecure --port {PORT} --sni-hostname localhost --alpn h2 --alpn http/1.1 127.0.0.1
node-ip-nosni||node -e "const t=require('tls');const s=t.connect({host:'127.0.0.1',port:+process.argv[1],rejectUnauthorized:false},()=>s.end());s.on('error',()=>{})" {PORT}
node-sni-alpn||node -e "const t=require('tls');const s=t.connect({host:'127.0.0.1',port:+process.argv[1],servername:'localhost',ALPNProtocols:['h2','http/1.1'],rejectUnauthorized:false},()=>s.end());s.on('error',()=>{})" {PORT}
java-ip-nosni||java {WORK}/Hello.java 127.0.0.1 {PORT}
java-sni||java {WORK}/Hello.java 127.0.0.1 {PORT} localhost
h2load-ip-nosni||h2load -n1 -c1 https://127.0.0.1:{PORT}/
wget-ip-nosni||wget -q -O /dev/null --no-check-certificate --tries=1 --timeout=5 https://127.0.0.1:{PORT}/
wget-sni||wget -q -O /dev/null --no-check-certificate --tries=1 --timeout=5 https://localhost:{PORT}/
EOF

# Another list in the same form replaces this one (scripts/client_names.sh uses it).
if [ -n "${SNIFALLBACK_CAPTURE_CLIENTS:-}" ]; then
  cp "$SNIFALLBACK_CAPTURE_CLIENTS" clients.txt
fi

# A Java client that trusts anything: only its ClientHello matters.
cat > Hello.java <<'EOF'
import javax.net.ssl.*;
import java.security.cert.X509Certificate;
public class Hello {
    public static void main(String[] args) throws Exception {
        TrustManager[] all = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; } } };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, all, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(args[0], Integer.parseInt(args[1]))) {
            if (args.length > 2) {  // Java sends no SNI for a dotless name like "localhost" unless told
                SSLParameters p = s.getSSLParameters();
                p.setServerNames(java.util.List.of(new SNIHostName(args[2])));
                s.setSSLParameters(p);
            }
            s.startHandshake();
        }
    }
}
EOF

wait_port() {  # until something listens on 127.0.0.1:$1 (at most ~20 s: the machine may be busy)
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

tshark -i lo -f "tcp portrange ${base_port}-$((base_port + 99))" -w capture.pcapng -q 2>tshark.err &
tshark_pid=$!
for _ in $(seq 100); do grep -q "Capturing on" tshark.err 2>/dev/null && break; sleep 0.1; done
sleep 0.5

: > labels.tsv
i=0
while IFS='|' read -r label server_opts command; do
  [ -n "$label" ] || continue
  tool=${command%% *}
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "capture_hellos: skipping $label ($tool not installed)" >&2
    continue
  fi
  port=$((base_port + i))
  i=$((i + 1))
  # shellcheck disable=SC2086  # server_opts is a word list on purpose
  openssl s_server -accept "$port" -cert cert.pem -key key.pem -www $server_opts \
    </dev/null >server.log 2>&1 &
  server_pid=$!
  if ! wait_port "$port"; then
    echo "capture_hellos: server on $port did not start" >&2
    kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=
    continue
  fi
  # The wait_port probe is a bare TCP connection without a hello; it does not show up in the output.
  cmd=${command//\{PORT\}/$port}
  cmd=${cmd//\{WORK\}/$work}
  echo "capture_hellos: $label" >&2
  timeout 20 bash -c "$cmd" </dev/null >client.log 2>&1 || true
  sleep 0.3
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  printf '%s\t%s\t%s\n' "$port" "$label" "$command" >> labels.tsv
done < clients.txt

sleep 1
kill -INT "$tshark_pid"
wait "$tshark_pid" 2>/dev/null || true
tshark_pid=

tshark -r capture.pcapng -Y 'tls.handshake.type == 1' -T fields -E separator='|' -E occurrence=a \
  -E aggregator=, -e tcp.dstport -e tcp.stream -e frame.number -e tcp.payload \
  -e tls.handshake.ja3_full -e tls.handshake.ja3 -e tls.handshake.extensions_server_name \
  -e tls.handshake.extensions_alpn_str -e tls.handshake.extensions.supported_version \
  -e tls.handshake.version -e tls.handshake.ciphersuite -e tls.handshake.extension.type \
  -e tls.handshake.sig_hash_alg -e tls.handshake.sig_hash_alg_len > fields.txt 2>/dev/null

tshark_version=$(tshark --version | head -1)
mkdir -p "$(dirname "$out")"
"$python" - labels.tsv fields.txt "$out" "$tshark_version" <<'EOF'
import hashlib, json, sys

labels_file, fields_file, out_file, tshark_version = sys.argv[1:5]
labels = {}
for line in open(labels_file):
    port, label, command = line.rstrip("\n").split("\t", 2)
    labels[port] = (label, command)

def grease(v):
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)

def ints(text):
    return [int(x, 0) for x in text.split(",") if x]

def records_to_handshake(raw):
    """The first handshake message, reassembled from the TLS records of one TCP payload."""
    data, i = b"", 0
    # A middlebox-compatibility change_cipher_spec record (TLS 1.3) may precede a second hello.
    while i + 5 <= len(raw) and raw[i] == 20:
        i += 5 + int.from_bytes(raw[i + 3:i + 5], "big")
    start = i
    while i + 5 <= len(raw) and raw[i] == 22:
        n = int.from_bytes(raw[i + 3:i + 5], "big")
        data += raw[i + 5:i + 5 + n]
        i += 5 + n
        if len(data) >= 4 and len(data) >= 4 + int.from_bytes(data[1:4], "big"):
            return data[:4 + int.from_bytes(data[1:4], "big")], raw[start:i]
    return None, None

def ja4(version, sni, ciphers, exts, alpn_first, sigalgs):
    """FoxIO JA4 / JA4_r (technical_details/JA4.md), from tshark's lists."""
    names = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2"}
    ciphers = [c for c in ciphers if not grease(c)]
    exts = [e for e in exts if not grease(e)]
    if not alpn_first:
        alpn = "00"
    elif alpn_first[0:1].isalnum() and alpn_first[-1:].isalnum() and alpn_first.isascii():
        alpn = alpn_first[0] + alpn_first[-1]
    else:
        h = alpn_first.encode("latin-1").hex()
        alpn = h[0] + h[-1]
    a = "t%s%s%02d%02d%s" % (names.get(version, "00"), "d" if 0 in exts else "i",
                             min(len(ciphers), 99), min(len(exts), 99), alpn)
    b = ",".join("%04x" % c for c in sorted(ciphers))
    c = ",".join("%04x" % e for e in sorted(e for e in exts if e not in (0x0000, 0x0010)))
    sig = [s for s in sigalgs if not grease(s)]
    c_raw = c + ("_" + ",".join("%04x" % s for s in sig) if sig else "")
    h = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12]
    return ("%s_%s_%s" % (a, h(b) if b else "000000000000", h(c_raw) if c else "000000000000"),
            "%s_%s_%s" % (a, b, c_raw))

vectors, seen = [], {}
for line in open(fields_file):
    f = line.rstrip("\n").split("|")
    if len(f) < 14 or f[0] not in labels:
        continue
    (port, stream, frame, payload, ja3_full, ja3_md5, sni, alpn, versions, legacy, ciphers, exts,
     sigalgs, sigalg_lens) = f[:14]
    label, command = labels[port]
    raw = bytes.fromhex(payload.replace(":", ""))
    handshake, records = records_to_handshake(raw)
    if handshake is None:
        print("capture_hellos: %s: hello not within one TCP payload, skipped" % label, file=sys.stderr)
        continue
    n = seen.get(label, 0) + 1
    seen[label] = n
    vid = label if n == 1 else "%s-hello%d" % (label, n)
    legacy_v = int(legacy, 0)
    sv = [v for v in ints(versions) if not grease(v)]
    highest = max(sv) if sv else legacy_v
    alpn_list = [a for a in alpn.split(",") if a] if alpn else []
    # The ALPN list as bytes, from the hello itself would be our own parsing; tshark's strings are
    # exact for the printable values these clients send.
    # tshark's sig_hash_alg holds signature_algorithms (000d) and signature_algorithms_cert (0032)
    # alike, one run per extension in wire order: keep the run of 000d.
    sig_runs, pos = [], 0
    for n_bytes in ints(sigalg_lens):
        sig_runs.append(ints(sigalgs)[pos:pos + n_bytes // 2])
        pos += n_bytes // 2
    sig_exts = [e for e in ints(exts) if e in (0x000D, 0x0032)]
    sig = sig_runs[sig_exts.index(0x000D)] if 0x000D in sig_exts else []
    j4, j4r = ja4(highest, sni, ints(ciphers), ints(exts), alpn_list[0] if alpn_list else "", sig)
    vectors.append({
        "id": vid,
        "client_command": command,
        "record_hex": records.hex(),
        "handshake_hex": handshake.hex(),
        "expected": {
            "ja3_string": ja3_full, "ja3_md5": ja3_md5, "ja4": j4, "ja4_r": j4r,
            "sni_present": bool(sni), "sni": sni, "alpn": alpn_list,
            "highest_version": "0x%04x" % highest,
        },
        "expected_from": {
            "ja3_string/ja3_md5/sni/alpn/highest_version": tshark_version,
            "ja4/ja4_r": "scripts/capture_hellos.sh Python over tshark's cipher, extension and "
                         "signature algorithm fields",
        },
        "second_hello_after_hrr": n > 1,
    })

with open(out_file, "w") as out:
    for v in vectors:
        out.write(json.dumps(v, sort_keys=False) + "\n")
print("capture_hellos: %d hellos from %d clients -> %s" % (len(vectors), len(seen), out_file),
      file=sys.stderr)
missing = sorted(set(l for l, _ in labels.values()) - set(seen))
if missing:
    print("capture_hellos: no hello captured for: " + ", ".join(missing), file=sys.stderr)
EOF
