"""The environment variables the module sets are outputs: rewriting them changes nothing it counts.

A configuration that sets SNIFALLBACK_ACTION itself (SetEnv, SetEnvIf, RewriteRule [E=...]) must
leave the counters, the status page and the request records exactly as they are without it.
"""
import json

import pytest

from snifharness.apache import MODULES_DIR

STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
BASE = "SNIFallbackLog logs/nosni.json\n" + STATUS
ACTIONS = {"a.test": "SNIFallbackAction notice", "default.test": "SNIFallbackAction notice"}

# Every way an administrator's configuration can write the variable, in every vhost the traffic
# reaches (RewriteRule needs RewriteEngine in each vhost).
REWRITE = ("RewriteEngine on\nRewriteRule ^ - [E=SNIFALLBACK_ACTION:redirect]\n"
           "RewriteRule ^ - [E=SNIFALLBACK_ENFORCED:0]\n")
FORGING = f"""LoadModule env_module {MODULES_DIR}/mod_env.so
LoadModule setenvif_module {MODULES_DIR}/mod_setenvif.so
LoadModule rewrite_module {MODULES_DIR}/mod_rewrite.so
SetEnv SNIFALLBACK_ACTION vhost
SetEnvIf Request_URI . SNIFALLBACK_ACTION=exempt
"""


def drive(httpd, http2):
    """No-SNI requests: one answered by the notice, one left alone, one with an IP-literal Host."""
    statuses = [httpd.curl("/", http2=http2, headers={"Host": "a.test"})[0].status,
                httpd.curl("/x", http2=http2, headers={"Host": "b.test"})[0].status,
                httpd.curl("/ip", http2=http2)[0].status]
    return statuses


def observed(httpd, count):
    """What the module reports: counters, inventory (without times) and request records."""
    status = json.loads(httpd.curl("/snif-status?json", sni="default.test")[0].body)
    for client in status["clients"]:
        del client["first_seen"], client["last_seen"]
    text = httpd.wait_for_log("nosni.json", lambda t: t.count('"event":"request"') >= count)
    records = []
    for record in map(json.loads, text.splitlines()):
        if record["event"] == "request":
            records.append({k: v for k, v in record.items() if k not in ("time", "client_port")})
    return status, records


@pytest.mark.parametrize("http2", [False, True])
def test_forged_environment_changes_no_count_and_no_record(httpd, http2):
    httpd.start(BASE, vhost_extra=ACTIONS)
    httpd.expected_log = [r"AH02032"]  # b.test without SNI: mod_ssl's own 421 (action none)
    plain_statuses = drive(httpd, http2)
    plain = observed(httpd, 3)

    forged_vhosts = {name: ACTIONS.get(name, "") + "\n" + REWRITE
                     for name in ("default.test", "a.test", "b.test")}
    httpd.start(FORGING + BASE, vhost_extra=forged_vhosts)
    httpd.expected_log = [r"AH02032"]
    assert drive(httpd, http2) == plain_statuses
    forged = observed(httpd, 3)

    assert [r["action"] for r in plain[1]] == ["notice", "none", "exempt"]
    assert forged[0] == plain[0]  # counters, per-vhost counters, inventory
    assert forged[1] == plain[1]  # request records
