"""What gunicorn's master does for the site: check settings, record and
announce the address. gunicorn.conf.py looks these functions up by name
when it calls them (a release may move this module; the config survives).

Nothing here builds the app or opens the database: the master forks the
workers, and anything it opened would be shared across the fork.
"""
from __future__ import annotations

import sys

from ..settings import default_instance_path, load_settings
from ..secrets import ConfigurationError
from ..http.site_url import record_served_url, served_url_from_listener


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
