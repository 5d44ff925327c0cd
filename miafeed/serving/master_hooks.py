"""What gunicorn's master does for the site: check settings, place runtime
files, record and announce the address. Called from gunicorn.conf.py.

Nothing here builds the app or opens the database: the master forks the
workers, and anything it opened would be shared across the fork.
"""
from __future__ import annotations

import sys

from .. import default_instance_path, load_settings
from ..secrets import ConfigurationError
from ..http.site_url import record_served_url, served_url_from_listener

# A Unix socket path must fit in sun_path (108 bytes on Linux, with its NUL).
MAX_SOCKET_PATH = 107


def control_socket_path() -> str | None:
    """Where gunicorn's control socket goes: the instance folder.

    gunicorn 25.1+ otherwise makes ~/.gunicorn/ (or uses $XDG_RUNTIME_DIR),
    outside the project and, under systemd's ProtectHome, not writable at
    all. None when the instance path is too long for a socket name.
    """
    path = f"{default_instance_path().rstrip('/')}/gunicorn.ctl"
    return path if len(path.encode()) <= MAX_SOCKET_PATH else None


def refuse_bad_settings() -> None:
    """Stop before binding, with the reason on one line, if the settings
    cannot work (production without SECRET_KEY or SITE_URL, a malformed
    SITE_URL). Otherwise each worker would fail to boot with a traceback."""
    try:
        load_settings()
    except ConfigurationError as exc:
        print(f"Mia's Feed cannot start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


def announce(server) -> None:
    """Record the address being served and print the one line to open."""
    urls = [url for url in (served_url_from_listener(str(listener)) for listener in server.LISTENERS) if url]
    if not urls:
        print("Mia's Feed is ready (listening on a Unix socket; open it through your proxy).", flush=True)
        return
    record_served_url(urls[0], default_instance_path())
    site = load_settings().config
    line = f"Mia's Feed is ready: open {urls[0]}/"
    if site.get("SITE_URL_SOURCE") == "SITE_URL" and site["SITE_URL"] != urls[0]:
        line += f" (links in mail and feeds use {site['SITE_URL']})"
    print(line, flush=True)
