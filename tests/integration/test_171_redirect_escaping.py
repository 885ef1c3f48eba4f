"""SNIFallbackAction redirect with %{REQUEST_URI}: the path goes into the Location escaped as
mod_alias escapes the rest of a path it redirects (ap_escape_uri, hex digits in lower case),
so what the client sent stays what it meant."""
import json

import pytest

REDIRECT = 'SNIFallbackAction redirect "https://legacy.test%{REQUEST_URI}"'


@pytest.mark.parametrize("path, location", [
    ("/a%3Fb", "https://legacy.test/a%3fb"),        # an escaped '?' is not a query
    ("/100%25", "https://legacy.test/100%25"),      # an escaped '%' stays one
    ("/a%2520b", "https://legacy.test/a%2520b"),    # decoded once by httpd, not twice
    ("/a%23b", "https://legacy.test/a%23b"),        # an escaped '#' is not a fragment
    ("/caf%C3%A9/x%20y", "https://legacy.test/caf%c3%a9/x%20y"),
    ("/plain/page?q=1", "https://legacy.test/plain/page"),  # REQUEST_URI has no query
    ("/%7Euser/", "https://legacy.test/~user/"),    # unreserved: httpd decodes it, so may we
])
def test_redirect_target_keeps_the_path_escaped(httpd, path, location):
    httpd.start("SNIFallbackLog logs/nosni.json\n", vhost_extra={"a.test": REDIRECT})
    r = httpd.curl(path, headers={"Host": "a.test"})[0]
    assert r.status == 302
    assert r.headers["location"] == location
    text = httpd.wait_for_log("nosni.json", lambda t: '"event":"request"' in t)
    [rec] = [r for r in map(json.loads, text.splitlines()) if r["event"] == "request"]
    assert rec["target"] == location
