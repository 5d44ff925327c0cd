"""What a gunicorn worker runs beside its requests, started and stopped
through the app object itself.

gunicorn.conf.py imports nothing from miafeed (a release may move any
module), so each worker asks the app it has just built for this object
(`app.extensions["miafeed_worker_services"]`) and calls `start` and
`stop`. Here and not in create_app, so CLI commands and tests never start
a thread.

A worker, in order: sends the site's own log lines where gunicorn sends
its error log (nothing else configures logging, and Python drops INFO
lines otherwise), renders each kind of page once (http/warm_up.py), then
starts its mail delivery thread (newsletter/delivery.py) and its search
change-log follower (search/follow.py; a lock lets one worker per host
apply the log at a time).
"""
from __future__ import annotations

import logging
import os

# How long an exiting worker waits for its mail thread to finish the mail in
# flight and give back the rest; under gunicorn's graceful_timeout (20 s),
# after which the master kills the worker.
MAIL_STOP_SECONDS = 10
# The same for the search follower's current pass (a rebuild can take longer:
# then the process ends under it and Whoosh's lock goes with the process).
FOLLOWER_STOP_SECONDS = 5
# The site's loggers all live under the package's name (Flask's app.logger too).
SITE_LOGGER = "miafeed"

log = logging.getLogger(__name__)


def send_site_log_to(server_log: logging.Logger) -> None:
    """Log the site's INFO lines and above through `server_log`'s handlers.

    One place for the running site's logging: the lines land beside
    gunicorn's own (a file, or stderr and so the journal), in its format.
    What the site logs at INFO says what it did (a worker ready, content
    picked up, mail sent, the relay paused), never who: no address, no
    token (serving/access_log.py scrubs the request lines)."""
    site = logging.getLogger(SITE_LOGGER)
    site.setLevel(logging.INFO)
    for handler in server_log.handlers:
        if handler not in site.handlers:
            site.addHandler(handler)
    # Not also through the root logger's handlers (Python's last resort).
    site.propagate = not server_log.handlers


class WorkerServices:
    """One worker's warm-up and background threads."""

    def __init__(self, app):
        self.app = app
        self.mail_delivery = None
        self.search_follower = None

    def start(self, server_log) -> None:
        """Called by gunicorn.conf.py's post_worker_init, before the worker takes readers."""
        from ..http.warm_up import warm_up
        from ..newsletter.delivery import start_background_delivery
        from ..search.follow import start_background_follower
        from ..version import code_version

        send_site_log_to(server_log.error_log)
        # Its first readers then never pay for compiling templates and opening the index.
        seconds = warm_up(self.app)
        self.mail_delivery = start_background_delivery(self.app)
        self.search_follower = start_background_follower(self.app)
        log.info("Worker %s ready: version %s, warmed up in %.2f s", os.getpid(), code_version(), seconds)

    def stop(self, server_log) -> None:
        """Called as the worker leaves: the mail thread finishes the mail in
        flight and gives back the rest of its claim; the follower ends after
        its current pass (never cut off in the middle of writing the index)."""
        delivery, self.mail_delivery = self.mail_delivery, None
        if delivery is not None and not delivery.stop(timeout=MAIL_STOP_SECONDS):
            server_log.warning("Mail thread still sending after %ss; its claim's lease will return the rest",
                               MAIL_STOP_SECONDS)
        follower, self.search_follower = self.search_follower, None
        if follower is not None:
            follower.stop(timeout=FOLLOWER_STOP_SECONDS)


def init_app(app) -> None:
    """Publish this app's worker services for gunicorn.conf.py."""
    app.extensions["miafeed_worker_services"] = WorkerServices(app)
