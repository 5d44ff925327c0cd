"""gunicorn settings for `make run` and production.

Workers are forked without preloading the app, so no database connection,
Whoosh searcher or thread is ever shared across the fork: each worker builds
its own app and opens its own handles on first use.
"""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# The usual 2 x cores + 1, capped so a big host doesn't open dozens of SQLite
# connections; override with WEB_CONCURRENCY.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 9)))
preload_app = False
accesslog = "-"
errorlog = "-"
timeout = 30
graceful_timeout = 20
# Behind a proxy, trust X-Forwarded-* only from it (see README, Deployment).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Start this worker's mail delivery thread (see miafeed/newsletter/delivery.py).

    Here and not in create_app, so CLI commands and tests never start one.
    Rows are claimed atomically, so several workers draining the same queue
    never send a mail twice.
    """
    from miafeed.newsletter.delivery import start_background_delivery

    start_background_delivery(worker.wsgi)
    _start_search_follower(worker)


def _start_search_follower(worker):
    """Start this worker's search change-log follower (miafeed/search/follow.py).

    Every worker has one; a lock in the instance folder lets one of them
    apply the log at a time, so the host has one index writer.
    """
    from miafeed.search.follow import start_background_follower

    start_background_follower(worker.wsgi)
