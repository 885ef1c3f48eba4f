#!/usr/bin/env bash
# Make the project's own client names file, conf/client-names.csv, from what the TLS clients of this
# machine send:
#
#   scripts/client_names.sh [--install] [output.csv]     (default conf/client-names.csv)
#
# Every client Debian 12 ships that we know how to drive (curl, wget, openssl s_client, gnutls-cli,
# Python, Java, Go, Node, Erlang, Perl, PHP, Chromium, Firefox ESR, lynx, w3m, elinks, links2, lftp,
# aria2c, git, wrk, socat, stunnel, h2load) connects, with SNI and without where it can, to a local
# `openssl s_server`; scripts/capture_hellos.sh captures the ClientHellos with tshark and computes
# their JA4 exactly as it does for the test vectors. The output has one row per distinct JA4, in the
# column layout of FoxIO's ja4plus-mapping.csv (`SNIFallbackClientNames` reads it): Application is
# the program and its version as the program reports it, Library the TLS library and its version as
# measured here (the program's own report, else the library it links, by its package version); when
# several programs send the same hello their names are joined. Notes say which capture labels
# produced the row. Every row is something this script saw; nothing comes from another database.
#
# --install first installs the clients with apt-get (root). Clients that are missing are skipped
# with a note. Needs what capture_hellos.sh needs (tshark with capture rights on `lo`).
# tests/client_names_check.py (CTest `client_names_csv`) checks the result against the captured
# vectors in tests/data/client_hellos.jsonl; CI runs that check, not this script.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
install=no
if [ "${1:-}" = "--install" ]; then
  install=yes
  shift
fi
out=${1:-$root/conf/client-names.csv}
python=/usr/bin/python3

if [ "$install" = yes ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    curl wget openssl gnutls-bin python3 default-jre-headless golang-go nodejs erlang-base erlang-ssl \
    libio-socket-ssl-perl php-cli chromium firefox-esr lynx w3m elinks links2 lftp aria2 git wrk \
    socat stunnel4 nghttp2-client tshark
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- helpers the clients need ----------------------------------------------------------------------
mkdir -p "$work/go" "$work/home"
cat > "$work/go/hello.go" <<'EOF'
// A Go client that trusts anything: only its ClientHello matters. Args: address [server name].
package main

import (
	"crypto/tls"
	"os"
)

func main() {
	config := &tls.Config{InsecureSkipVerify: true}
	if len(os.Args) > 2 {
		config.ServerName = os.Args[2]
	}
	if c, err := tls.Dial("tcp", os.Args[1], config); err == nil {
		c.Close()
	}
}
EOF
if command -v go >/dev/null; then
  (cd "$work/go" && GOCACHE=$work/go/cache GO111MODULE=off go build -o gohello hello.go) ||
    echo "client_names: the Go client did not build" >&2
fi
printf 'FORCE_SSL_PROMPT:yes\nSTARTFILE:about:blank\n' > "$work/lynx.cfg"

# --- clients: label|server options|command ({PORT} is replaced) -----------------------------------
# The label's first word (before "-"; gnutls-cli counts as one word) names the program below.
# Labels that also occur in tests/data/client_hellos.jsonl run the same command there.
S=$work
cat > "$work/clients.txt" <<EOF
openssl-ip-default||openssl s_client -connect 127.0.0.1:{PORT}
openssl-default-sni||openssl s_client -connect localhost:{PORT} -servername localhost
openssl-noservername||openssl s_client -connect 127.0.0.1:{PORT} -noservername
openssl-tls12-sni||openssl s_client -connect 127.0.0.1:{PORT} -tls1_2 -servername localhost
openssl-tls12-nosni||openssl s_client -connect 127.0.0.1:{PORT} -tls1_2 -noservername
curl-ip-url||curl -sk -o /dev/null --max-time 5 https://127.0.0.1:{PORT}/
curl-resolve-sni||curl -sk -o /dev/null --max-time 5 --resolve localhost:{PORT}:127.0.0.1 https://localhost:{PORT}/
curl-ip-http11-tls12||curl -sk -o /dev/null --max-time 5 --http1.1 --tlsv1.2 --tls-max 1.2 https://127.0.0.1:{PORT}/
wget-ip-nosni||wget -q -O /dev/null --no-check-certificate --tries=1 --timeout=5 https://127.0.0.1:{PORT}/
wget-sni||wget -q -O /dev/null --no-check-certificate --tries=1 --timeout=5 https://localhost:{PORT}/
gnutls-cli-nosni||gnutls-cli --insecure --port {PORT} 127.0.0.1
gnutls-cli-sni||gnutls-cli --insecure --port {PORT} --sni-hostname localhost 127.0.0.1
python-ssl-nosni||$python -c "import socket,ssl,sys;c=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE;s=c.wrap_socket(socket.create_connection(('127.0.0.1',int(sys.argv[1]))),server_hostname=None);s.close()" {PORT}
python-ssl-sni||$python -c "import socket,ssl,sys;c=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE;s=c.wrap_socket(socket.create_connection(('127.0.0.1',int(sys.argv[1]))),server_hostname='localhost');s.close()" {PORT}
python-urllib-ip||$python -c "import ssl,sys,urllib.request as u;u.urlopen('https://127.0.0.1:%s/'%sys.argv[1],context=ssl._create_unverified_context(),timeout=5).read()" {PORT}
python-urllib-sni||$python -c "import ssl,sys,urllib.request as u;u.urlopen('https://localhost:%s/'%sys.argv[1],context=ssl._create_unverified_context(),timeout=5).read()" {PORT}
java-ip-nosni||java {WORK}/Hello.java 127.0.0.1 {PORT}
java-sni||java {WORK}/Hello.java 127.0.0.1 {PORT} localhost
go-ip-nosni||$S/go/gohello 127.0.0.1:{PORT}
go-sni||$S/go/gohello 127.0.0.1:{PORT} localhost
node-ip-nosni||node -e "const t=require('tls');const s=t.connect({host:'127.0.0.1',port:+process.argv[1],rejectUnauthorized:false},()=>s.end());s.on('error',()=>{})" {PORT}
node-sni-alpn||node -e "const t=require('tls');const s=t.connect({host:'127.0.0.1',port:+process.argv[1],servername:'localhost',ALPNProtocols:['h2','http/1.1'],rejectUnauthorized:false},()=>s.end());s.on('error',()=>{})" {PORT}
node-https-ip||node -e "require('https').get({host:'127.0.0.1',port:+process.argv[1],rejectUnauthorized:false},r=>r.resume()).on('error',()=>{})" {PORT}
node-https-sni||node -e "require('https').get({host:'localhost',port:+process.argv[1],rejectUnauthorized:false},r=>r.resume()).on('error',()=>{})" {PORT}
erlang-ip||erl -noshell -eval '{ok,_}=application:ensure_all_started(ssl), ssl:connect("127.0.0.1", {PORT}, [{verify,verify_none}], 5000), halt().'
erlang-nosni||erl -noshell -eval '{ok,_}=application:ensure_all_started(ssl), ssl:connect("127.0.0.1", {PORT}, [{verify,verify_none},{server_name_indication,disable}], 5000), halt().'
erlang-sni||erl -noshell -eval '{ok,_}=application:ensure_all_started(ssl), ssl:connect("localhost", {PORT}, [{verify,verify_none}], 5000), halt().'
perl-ip-nosni||perl -MIO::Socket::SSL -e 'IO::Socket::SSL->new(PeerAddr=>"127.0.0.1:{PORT}",SSL_verify_mode=>0)'
perl-sni||perl -MIO::Socket::SSL -e 'IO::Socket::SSL->new(PeerAddr=>"127.0.0.1:{PORT}",SSL_hostname=>"localhost",SSL_verify_mode=>0)'
php-ip||php -r '\$c=stream_context_create(["ssl"=>["verify_peer"=>false,"verify_peer_name"=>false]]);@stream_socket_client("ssl://127.0.0.1:{PORT}",\$e,\$s,5,STREAM_CLIENT_CONNECT,\$c);'
php-nosni||php -r '\$c=stream_context_create(["ssl"=>["verify_peer"=>false,"verify_peer_name"=>false,"SNI_enabled"=>false]]);@stream_socket_client("ssl://127.0.0.1:{PORT}",\$e,\$s,5,STREAM_CLIENT_CONNECT,\$c);'
php-sni||php -r '\$c=stream_context_create(["ssl"=>["verify_peer"=>false,"verify_peer_name"=>false]]);@stream_socket_client("ssl://localhost:{PORT}",\$e,\$s,5,STREAM_CLIENT_CONNECT,\$c);'
chromium-ip-nosni||chromium --headless --no-sandbox --disable-gpu --ignore-certificate-errors --user-data-dir=$S/chromium-{PORT} --dump-dom https://127.0.0.1:{PORT}/
chromium-sni||chromium --headless --no-sandbox --disable-gpu --ignore-certificate-errors --user-data-dir=$S/chromium-{PORT} --dump-dom https://localhost:{PORT}/
firefox-ip-nosni||mkdir -p $S/firefox-{PORT} && env HOME=$S/home firefox-esr --headless --no-remote --profile $S/firefox-{PORT} --screenshot $S/firefox-{PORT}.png https://127.0.0.1:{PORT}/
firefox-sni||mkdir -p $S/firefox-{PORT} && env HOME=$S/home firefox-esr --headless --no-remote --profile $S/firefox-{PORT} --screenshot $S/firefox-{PORT}.png https://localhost:{PORT}/
lynx-ip||lynx -cfg=$S/lynx.cfg -dump https://127.0.0.1:{PORT}/
lynx-sni||lynx -cfg=$S/lynx.cfg -dump https://localhost:{PORT}/
w3m-ip||env HOME=$S/home w3m -o ssl_verify_server=0 -dump https://127.0.0.1:{PORT}/
w3m-sni||env HOME=$S/home w3m -o ssl_verify_server=0 -dump https://localhost:{PORT}/
elinks-ip||env HOME=$S/home elinks -no-home -eval 'set connection.ssl.cert_verify = 0' -dump https://127.0.0.1:{PORT}/
elinks-sni||env HOME=$S/home elinks -no-home -eval 'set connection.ssl.cert_verify = 0' -dump https://localhost:{PORT}/
links2-ip||env HOME=$S/home links2 -ssl.certificates 0 -dump https://127.0.0.1:{PORT}/
links2-sni||env HOME=$S/home links2 -ssl.certificates 0 -dump https://localhost:{PORT}/
lftp-ip||env HOME=$S/home lftp -c 'set ssl:verify-certificate no; set net:max-retries 1; cat https://127.0.0.1:{PORT}/'
lftp-sni||env HOME=$S/home lftp -c 'set ssl:verify-certificate no; set net:max-retries 1; cat https://localhost:{PORT}/'
aria2c-ip||aria2c --check-certificate=false --max-tries=1 --dir=$S --out=aria-{PORT} https://127.0.0.1:{PORT}/
aria2c-sni||aria2c --check-certificate=false --max-tries=1 --dir=$S --out=aria-{PORT}s https://localhost:{PORT}/
git-ip||env GIT_SSL_NO_VERIFY=1 HOME=$S/home git ls-remote https://127.0.0.1:{PORT}/repo.git
git-sni||env GIT_SSL_NO_VERIFY=1 HOME=$S/home git ls-remote https://localhost:{PORT}/repo.git
wrk-ip||wrk -t1 -c1 -d1s https://127.0.0.1:{PORT}/
wrk-sni||wrk -t1 -c1 -d1s https://localhost:{PORT}/
socat-ip||socat -u /dev/null OPENSSL:127.0.0.1:{PORT},verify=0
socat-nosni||socat -u /dev/null OPENSSL:127.0.0.1:{PORT},verify=0,no-sni=1
socat-sni||socat -u /dev/null OPENSSL:localhost:{PORT},verify=0
stunnel-ip||printf 'foreground = yes\\npid =\\nclient = yes\\nconnect = 127.0.0.1:{PORT}\\n' > $S/stunnel-{PORT}.conf && stunnel $S/stunnel-{PORT}.conf
stunnel-sni||printf 'foreground = yes\\npid =\\nclient = yes\\nsni = localhost\\nconnect = 127.0.0.1:{PORT}\\n' > $S/stunnel-{PORT}.conf && stunnel $S/stunnel-{PORT}.conf
h2load-ip-nosni||h2load -n1 -c1 https://127.0.0.1:{PORT}/
h2load-sni||h2load -n1 -c1 --connect-to=127.0.0.1:{PORT} https://localhost:{PORT}/
EOF

# --- what each program is, as measured --------------------------------------------------------------
package_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed 's/^[0-9]*://; s/[-+~].*//'; }
first_line() { "$@" 2>&1 | head -1 || true; }
openssl_lib() { echo "OpenSSL $(package_version libssl3)"; }
gnutls_lib() { echo "GnuTLS $(package_version libgnutls30)"; }
describe() {  # program key -> "Application|Library"
  case $1 in
    openssl) echo "openssl s_client $(openssl version | awk '{print $2}')|$(openssl_lib)" ;;
    curl) curl --version | head -1 | awk '{l=$5; sub("/"," ",l); print "curl " $2 "|" l}' ;;
    wget) echo "Wget $(wget --version | head -1 | awk '{print $3}')|$(gnutls_lib)" ;;
    gnutls) echo "gnutls-cli $(gnutls-cli --version | head -1 | awk '{print $2}')|$(gnutls_lib)" ;;
    python) $python -c 'import ssl,sys;v=sys.version.split()[0];print("Python %s|%s"%(v," ".join(ssl.OPENSSL_VERSION.split()[:2])))' ;;
    java) java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/ java.version =/{print "Java " $2 "|SunJSSE (Java " $2 ")"}' ;;
    go) go version | awk '{v=$3; sub("go","",v); print "Go " v " (crypto/tls)|Go crypto/tls " v}' ;;
    node) node -e 'console.log("Node.js "+process.versions.node+"|OpenSSL "+process.versions.openssl)' ;;
    erlang) erl -noshell -eval 'application:load(ssl),{ok,V}=application:get_key(ssl,vsn),io:format("Erlang/OTP ~s|Erlang ssl ~s~n",[erlang:system_info(otp_release),V]),halt().' ;;
    perl) perl -MIO::Socket::SSL -MNet::SSLeay -e 'my @v=split / /,Net::SSLeay::SSLeay_version(0);print "Perl IO::Socket::SSL $IO::Socket::SSL::VERSION|$v[0] $v[1]\n"' ;;
    php) php -r 'echo "PHP ".PHP_VERSION." streams|".implode(" ",array_slice(explode(" ",OPENSSL_VERSION_TEXT),0,2))."\n";' ;;
    chromium) echo "Chromium $(chromium --version 2>/dev/null | awk '{print $2}')|BoringSSL (Chromium)" ;;
    firefox) echo "Firefox $(firefox-esr --version 2>/dev/null | awk '{print $3}')|NSS $(strings /usr/lib/firefox-esr/libnss3.so | sed -n 's/.*Version: NSS \([0-9.]*\).*/\1/p' | head -1)" ;;
    lynx) lynx -version | awk '/^Lynx Version/{v=$3} /GNUTLS|OpenSSL/{for(i=1;i<=NF;i++) if($i ~ /^(GNUTLS|OpenSSL)$/){l=$i " " $(i+1); sub(",","",l)}} END{sub("GNUTLS","GnuTLS",l); print "Lynx " v "|" l}' ;;
    w3m) echo "w3m $(package_version w3m)|$(openssl_lib)" ;;
    elinks) echo "ELinks $(package_version elinks)|$(gnutls_lib)" ;;
    links2) echo "Links $(package_version links2)|$(openssl_lib)" ;;
    lftp) echo "lftp $(package_version lftp)|$(gnutls_lib)" ;;
    aria2c) echo "aria2 $(package_version aria2)|$(gnutls_lib)" ;;
    git) echo "git $(git --version | awk '{print $3}') (libcurl-gnutls $(package_version libcurl3-gnutls))|$(gnutls_lib)" ;;
    wrk) echo "wrk $(package_version wrk)|$(openssl_lib)" ;;
    socat) echo "socat $(socat -V | awk '/socat version/{print $3}')|$(openssl_lib)" ;;
    stunnel) stunnel -version 2>&1 | awk '/^stunnel/{v=$2} /Running  *with OpenSSL/{l="OpenSSL " $4} END{print "stunnel " v "|" l}' ;;
    h2load) echo "h2load $(package_version nghttp2-client)|$(openssl_lib)" ;;
    *) echo "$1|" ;;
  esac
}

# Which libraries the programs link, checked rather than assumed, for the ones described by package.
links() { case $(ldd "$1" 2>/dev/null) in *"$2"*) return 0 ;; esac; return 1; }
for check in "w3m libssl.so" "elinks libgnutls" "links2 libssl.so" "lftp libgnutls" "aria2c libgnutls" \
  "wrk libssl.so" "socat libssl.so" "h2load libssl.so" "wget libgnutls" \
  "/usr/lib/git-core/git-remote-https libcurl-gnutls"; do
  # shellcheck disable=SC2086  # two words on purpose
  set -- $check
  bin=$(command -v "$1" || true)
  if [ -n "$bin" ] && ! links "$bin" "$2"; then
    echo "client_names: $1 does not link $2 here: fix describe() in $0" >&2
    exit 1
  fi
done

: > "$work/programs.tsv"
# shellcheck disable=SC2013  # one program key a line, no spaces
for key in $(sed 's/^gnutls-cli/gnutls/; s/-.*//' "$work/clients.txt" | sort -u); do
  tool=$key
  case $key in gnutls) tool=gnutls-cli ;; firefox) tool=firefox-esr ;; python) tool=$python ;;
    go) tool=$work/go/gohello ;; erlang) tool=erl ;; esac
  if command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ]; then
    printf '%s\t%s\n' "$key" "$(describe "$key")" >> "$work/programs.tsv"
  fi
done

SNIFALLBACK_CAPTURE_CLIENTS=$work/clients.txt "$root/scripts/capture_hellos.sh" "$work/hellos.jsonl"

"$python" - "$work/hellos.jsonl" "$work/programs.tsv" "$out" <<'EOF'
import csv, json, sys

hellos_file, programs_file, out_file = sys.argv[1:4]
programs = {}
for line in open(programs_file):
    key, desc = line.rstrip("\n").split("\t", 1)
    app, lib = desc.split("|", 1)
    programs[key] = (app.strip(), lib.strip())

def key_of(label):
    return "gnutls" if label.startswith("gnutls-cli") else label.split("-", 1)[0]

rows = {}  # ja4 -> {"apps": [...], "libs": [...], "labels": [...]}
for line in open(hellos_file):
    v = json.loads(line)
    label = v["id"].split("-hello")[0]
    app, lib = programs[key_of(label)]
    row = rows.setdefault(v["expected"]["ja4"], {"apps": [], "libs": [], "labels": []})
    for field, value in (("apps", app), ("libs", lib), ("labels", label)):
        if value and value not in row[field]:
            row[field].append(value)

header = ["Application", "Library", "Device", "OS", "ja4", "ja4s", "ja4h", "ja4x", "ja4t",
          "ja4tscan", "Notes"]
with open(out_file, "w", newline="") as out:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for ja4 in sorted(rows, key=lambda j: (rows[j]["apps"], j)):
        r = rows[ja4]
        w.writerow(["; ".join(r["apps"]), "; ".join(r["libs"]), "", "", ja4, "", "", "", "", "",
                    "measured on Debian 12 by scripts/client_names.sh: " + " ".join(r["labels"])])
print("client_names: %d rows -> %s" % (len(rows), out_file), file=sys.stderr)
EOF
