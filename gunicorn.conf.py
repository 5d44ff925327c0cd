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
# gunicorn's most (default 4094): a long search then reaches the app, which cuts it with a note.
limit_request_line = 8190


def post_worker_init(worker):
    """Start this worker's mail delivery thread (see miafeed/newsletter/delivery.py).

    Here and not in create_app, so CLI commands and tests never start one.
    Rows are claimed atomically, so several workers draining the same queue
    never send a mail twice.
    """
    from miafeed.newsletter.delivery import start_background_delivery

    start_background_delivery(worker.wsgi)
