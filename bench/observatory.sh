#!/usr/bin/env bash
# Score the site with the MDN HTTP Observatory, locally, the way it scores a
# public site: http://localhost (port 80) must redirect to https://localhost
# (port 443), which serves the app in production mode. Needs root (ports 80
# and 443 free), openssl, npm and the venv. Prints the grade and each rule.
#
# The Observatory's npm package normally downloads a CA bundle and the HSTS
# preload list after install; neither is reachable here, so it is installed
# with --ignore-scripts, given an empty preload list, and told to trust our
# throw-away certificate instead. Nothing is written into the repository.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/miafeed-observatory.XXXXXX)"
trap 'kill ${PIDS:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"

openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" 2>/dev/null
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund --loglevel=error @mdn/mdn-http-observatory@1.4.8
echo '{}' > node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json

export MIAFEED_INSTANCE_PATH="$WORK/instance" MIAFEED_ENV=production MIAFEED_SITE_URL=https://localhost
export MIAFEED_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
(cd "$ROOT" && .venv/bin/flask --app wsgi db upgrade heads >/dev/null && { .venv/bin/flask --app wsgi content import "${CONTENT:-content}" >/dev/null || true; })
(cd "$ROOT" && exec .venv/bin/gunicorn -b 127.0.0.1:443 -w 1 --certfile "$WORK/cert.pem" --keyfile "$WORK/key.pem" wsgi:app) >"$WORK/gunicorn.log" 2>&1 &
PIDS="$!"
# Stands in for the proxy's `return 301 https://$host$request_uri` on port 80.
python3 - >/dev/null 2>&1 <<'PY' &
from http.server import BaseHTTPRequestHandler, HTTPServer
class Redirect(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(301); self.send_header("Location", "https://localhost" + self.path); self.end_headers()
    do_HEAD = do_OPTIONS = do_GET
HTTPServer(("127.0.0.1", 80), Redirect).serve_forever()
PY
PIDS="$PIDS $!"
sleep 3
NODE_EXTRA_CA_CERTS="$WORK/cert.pem" node node_modules/@mdn/mdn-http-observatory/src/scan.js localhost > result.json
python3 - <<'PY'
import json
result = json.load(open("result.json"))
scan = result["scan"]
print(f"grade {scan['grade']}, score {scan['score']}, {scan['testsPassed']}/{scan['testsQuantity']} rules passed")
for name, test in result["tests"].items():
    print(f"  {name:32} {'pass' if test['pass'] else 'FAIL'} {test['scoreModifier']:+d}  {test['result']}")
PY
