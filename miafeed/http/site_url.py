"""The site's public address, the base of every link that leaves a request.

Mail, feeds, the sitemap, canonical URLs and `og:url` need an absolute
address. Where it comes from, first match wins:

1. `SITE_URL`, when configured (instance/config.py or MIAFEED_SITE_URL).
2. In production nothing else will do: the app refuses to start without it,
   because a guessed address in a mail cannot be taken back.
3. The address gunicorn is serving on. gunicorn.conf.py hands it to its
   workers (MIAFEED_SERVED_URL) and records it in `instance/served_url` for
   commands that run outside the server, such as `digest send` from cron.
   So `make run PORT=9000` mails links to port 9000.
4. http://127.0.0.1:8000, where `make run` serves by default.

It is never taken from a request's Host header: a mail composed during a
sign-up and one composed by cron must carry the same links, and a forged
Host must not put someone else's address into a confirmation mail.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

from ..secrets import ConfigurationError

DEFAULT_SITE_URL = "http://127.0.0.1:8000"
SERVED_URL_FILE = "served_url"
SERVED_URL_ENV = "MIAFEED_SERVED_URL"


def resolve_site_url(config: dict, instance_path: str) -> tuple[str, str]:
    """(site URL without a trailing slash, where it came from) for these settings.

    Raises ConfigurationError for a malformed SITE_URL, or for production
    without one.
    """
    configured = config.get("SITE_URL")
    if configured:
        return _checked(str(configured), "SITE_URL"), "SITE_URL"
    if config.get("ENV") == "production":
        raise ConfigurationError(
            "MIAFEED_ENV=production needs the site's public address: set MIAFEED_SITE_URL in the "
            "environment or SITE_URL in instance/config.py (for example https://example.org). "
            "Every link in mail, feeds and the sitemap is built from it."
        )
    served = config.get("SERVED_URL") or read_served_url(instance_path)
    if served:
        return _checked(served, "the served address"), "served"
    return DEFAULT_SITE_URL, "default"


def _checked(url: str, name: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{name} must be an absolute http:// or https:// address such as https://example.org, not {url!r}."
        )
    return url.strip().rstrip("/")


def served_url_from_listener(address: str) -> str | None:
    """A URL to open for one of gunicorn's listeners ("http://0.0.0.0:9000").

    A wildcard bind listens everywhere, but 0.0.0.0 is no address to open:
    loopback is. Unix sockets give None (a proxy in front names the site).
    """
    if not address.startswith(("http://", "https://")):
        return None
    parts = urlsplit(address)
    host = parts.hostname or "127.0.0.1"
    if host == "0.0.0.0":
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{parts.port}"


def record_served_url(url: str, instance_path: str) -> None:
    """Remember where the site is served, for this process's children and for CLI commands."""
    os.environ[SERVED_URL_ENV] = url
    path = Path(instance_path) / SERVED_URL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{SERVED_URL_FILE}.{os.getpid()}")
    temporary.write_text(url + "\n")
    os.replace(temporary, path)


def read_served_url(instance_path: str) -> str | None:
    """The address the site was last served on from this instance folder, if any."""
    try:
        return (Path(instance_path) / SERVED_URL_FILE).read_text().strip() or None
    except OSError:
        return None


def absolute_url(endpoint: str, **values) -> str:
    """The public address of `endpoint`: SITE_URL (any path it has
    included) plus the route. The one way the app builds an absolute URL:
    mail, feeds, the sitemap, canonical URLs, og:url and share links.

    Built from SITE_URL alone, never from the request (its Host header or
    SCRIPT_NAME), so a mail composed by a web worker and one composed by
    cron carry the same links, and a forged Host or prefix can reach
    neither a mail nor a kept page. URL defaults still apply (hashed
    static file names), as they do for url_for.
    """
    site = urlsplit(current_app.config["SITE_URL"].rstrip("/"))
    values = dict(values)
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(site.netloc, url_scheme=site.scheme, script_name=site.path or "/")
    return adapter.build(endpoint, values, force_external=True)
