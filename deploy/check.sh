#!/usr/bin/env bash
# Check the production kit as far as this machine allows, without touching
# the system: every file is copied into a temporary folder first.
#
#   deploy/check.sh                  all checks
#   deploy/check.sh systemd nginx    only these (systemd, security, nginx, caddy)
#
# - systemd: `systemd-analyze verify` on every unit and timer
# - security: `systemd-analyze security --offline` exposure of each service
# - nginx:   `nginx -t` on the site file, inside a throwaway nginx.conf,
#            with a self-signed certificate made for the check
# - caddy:   `caddy validate` on the Caddyfile
#
# A missing tool is reported and skipped (exit 0) unless REQUIRE_TOOLS=1
# (CI sets it for systemd-analyze and nginx, which it installs). Any check
# that runs and fails makes the exit status 1.
#
# The files name /srv/miafeed (deploy/site's ROOT in docs/deployment.md),
# its `current` release and `shared/` folder; the copies point at this
# checkout and the temporary folder instead, so the programs they name
# (.venv/bin/gunicorn, .venv/bin/flask) exist: run `make setup` first.
# DEPLOY_DIR checks another copy of the kit (the tests break one on purpose).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
kit="${DEPLOY_DIR:-$here}"
checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(systemd security nginx caddy)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

say() { printf '%s\n' "$*"; }
skip() {
  if [ "${REQUIRE_TOOLS:-0}" = 1 ] && [ "$2" = required ]; then
    say "FAIL $1: $3 (REQUIRE_TOOLS=1)"; failed=1
  else
    say "skip $1: $3"
  fi
}
# A copy of a kit file, pointing at this checkout and the temp folder.
localise() {
  sed -e "s#/srv/miafeed/current#$root#g" -e "s#/srv/miafeed/shared/instance#$root/instance#g" \
      -e "s#/srv/miafeed/shared/static#$root/static/dist#g" -e "s#/srv/miafeed/run#$work/run#g" \
      -e "s#/srv/miafeed/log#$work/log#g" -e "s#/srv/miafeed#$root#g" -e "s#/var/cache/nginx/miafeed#$work/nginx/cache#g" \
      -e "s#/etc/letsencrypt/live/example.org#$work/tls#g" -e "s#/var/www/letsencrypt#$work/acme#g" "$1"
}

check_systemd() {
  if ! command -v systemd-analyze >/dev/null; then
    skip systemd required "systemd-analyze not found (Debian package: systemd)"; return
  fi
  local units="$work/systemd" out
  mkdir -p "$units"
  for file in "$kit"/systemd/*.service "$kit"/systemd/*.timer; do
    localise "$file" > "$units/$(basename "$file")"
  done
  # Timers name template instances (miafeed-digest@daily.service): verify
  # those instances too, found through the copied folder.
  # One per frequency, named by its timer: miafeed-digest-weekly.timer must
  # start miafeed-digest@weekly.service, checked below.
  local digest_timer frequency
  for digest_timer in "$units"/miafeed-digest-*.timer; do
    frequency="$(basename "$digest_timer" .timer)"; frequency="${frequency#miafeed-digest-}"
    ln -s "$units/miafeed-digest@.service" "$units/miafeed-digest@$frequency.service"
  done
  local files=()
  for file in "$units"/*.service "$units"/*.timer; do
    case "$file" in *@.service) ;; *) files+=("$file") ;; esac
  done
  # verify does not look for the unit a timer starts: check that here.
  local timer unit missing=0
  for timer in "$units"/*.timer; do
    unit="$(sed -n 's/^Unit=//p' "$timer")"
    unit="${unit:-$(basename "${timer%.timer}").service}"
    if [ ! -e "$units/$unit" ]; then
      say "FAIL systemd: $(basename "$timer") starts $unit, which the kit does not have"; missing=1; failed=1
    fi
  done
  [ "$missing" = 0 ] || return
  # verify prints problems and still exits 0 for some of them: any output fails.
  if out="$(SYSTEMD_UNIT_PATH="$units:" systemd-analyze verify --man=no "${files[@]}" 2>&1)" && [ -z "$out" ]; then
    say "ok   systemd: systemd-analyze verify passed on ${#files[@]} units"
  else
    say "FAIL systemd: systemd-analyze verify:"; say "$out"; failed=1
  fi
}

check_security() {
  if ! command -v systemd-analyze >/dev/null; then
    skip security optional "systemd-analyze not found"; return
  fi
  local units="$work/security" file name score
  mkdir -p "$units"
  for file in "$kit"/systemd/miafeed.service "$kit"/systemd/miafeed-mail.service; do
    name="$(basename "$file")"
    localise "$file" > "$units/$name"
    # Exposure 0.0 (locked down) .. 10.0 (unprotected); systemd calls up to 1.9 "OK".
    if score="$(systemd-analyze security --offline=true --threshold=19 "$units/$name" 2>&1 | grep -o 'Overall exposure level.*')"; then
      say "ok   security: $name: $score"
    else
      say "FAIL security: $name: ${score:-systemd-analyze security failed} (threshold 1.9)"; failed=1
    fi
  done
}

check_nginx() {
  if ! command -v nginx >/dev/null; then
    skip nginx required "nginx not found (Debian package: nginx-light)"; return
  fi
  if ! command -v openssl >/dev/null; then
    skip nginx required "openssl not found (for the test certificate)"; return
  fi
  mkdir -p "$work/nginx/cache" "$work/tls" "$work/acme" "$work/nginx/logs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=example.org" \
    -keyout "$work/tls/privkey.pem" -out "$work/tls/fullchain.pem" >/dev/null 2>&1
  cp "$work/tls/fullchain.pem" "$work/tls/chain.pem"
  localise "$kit/nginx/miafeed.conf" > "$work/nginx/site.conf"
  # The smallest main config around the site file, as /etc/nginx/nginx.conf
  # would include it from sites-enabled/ (inside http {}).
  cat > "$work/nginx/nginx.conf" <<EOF
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $work/nginx/client_body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    include $work/nginx/site.conf;
}
EOF
  local out
  if out="$(nginx -t -q -p "$work/nginx" -e "$work/nginx/logs/error.log" -c "$work/nginx/nginx.conf" 2>&1)"; then
    say "ok   nginx: nginx -t passed on nginx/miafeed.conf"
  else
    say "FAIL nginx: nginx -t:"; say "$out"; failed=1
  fi
}

check_caddy() {
  if ! command -v caddy >/dev/null; then
    skip caddy optional "caddy not found (Debian package: caddy)"; return
  fi
  localise "$kit/caddy/Caddyfile" > "$work/Caddyfile"
  local out
  if out="$(caddy validate --adapter caddyfile --config "$work/Caddyfile" 2>&1)"; then
    say "ok   caddy: caddy validate passed on caddy/Caddyfile"
  else
    say "FAIL caddy: caddy validate:"; say "$out"; failed=1
  fi
}

for check in "${checks[@]}"; do
  case "$check" in
    systemd|security|nginx|caddy) "check_$check" ;;
    *) say "unknown check: $check (systemd, security, nginx, caddy)"; exit 2 ;;
  esac
done
exit "$failed"
