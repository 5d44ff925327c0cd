"""gunicorn settings for `make run` and production.

Workers are forked without preloading the app, so no database connection,
Whoosh searcher or thread is ever shared across the fork: each worker builds
its own app and opens its own handles on first use.

Worker class: gthread, with one change (miafeed/serving/worker.py). A sync worker
serves one connection at a time from the moment it accepts it, so a client
that sends its headers a byte at a time holds a whole worker: four such
clients froze a 4-worker site. gunicorn's docs say sync workers need a
buffering proxy in front, and `make run` may be exposed without one. A
gthread worker serves WORKERS x THREADS requests at once and keeps idle
keep-alive connections in its event loop, holding no thread; but once a
request's first bytes arrive, a thread reads the rest of its headers, so a
few dozen slow clients still hold every thread. Our worker waits in the
event loop until the whole header block is there, and closes connections
whose headers take more than 10 s, so slow clients cost file descriptors,
not threads (bench/slow_clients.py). A buffering proxy in front still adds
more: see docs/deployment.md.

Threads and the app: each thread keeps its own Whoosh searcher
(search/searcher.py), SQLAlchemy gives each request its own session and
pooled connection (SQLite's pool allows 15 per process, more than THREADS),
and SQLite's WAL and busy timeout already serve several writers.
"""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# The usual 2 x cores + 1, capped so a big host doesn't open dozens of SQLite
# connections; override with WEB_CONCURRENCY.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 9)))
worker_class = "miafeed.serving.worker.HeaderCompleteThreadWorker"
# Requests each worker serves at once (GUNICORN_THREADS to change). Keep it
# under 15, the connections SQLAlchemy pools per process for SQLite.
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# An idle keep-alive connection is closed after this many seconds; it waits
# in the worker's event loop meanwhile, holding no thread.
keepalive = 5
preload_app = False
accesslog = "-"
errorlog = "-"
# Confirmation, preference and unsubscribe tokens never reach the log, and
# the control socket's address is logged once, not at every worker's boot.
logger_class = "miafeed.serving.server_log.SiteLogger"
timeout = 30
graceful_timeout = 20
# Smaller than gunicorn's defaults: no page of ours needs a long request
# line or many headers, and every byte a client may send is a byte it can
# send slowly.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# Behind a proxy, trust X-Forwarded-* only from it (see docs/deployment.md).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# ...but never SCRIPT_NAME or PATH_INFO from a request header (gunicorn's
# default takes them from those addresses): the site is not mounted under a
# prefix, a header-made one put foreign links into pages, and a path outside
# it made gunicorn answer 500. A prefix, if ever needed, is the SCRIPT_NAME
# environment variable of the gunicorn process.
forwarder_headers = ""
# gunicorn's most (default 4094): a long search then reaches the app, which cuts it with a note.
limit_request_line = 8190

# How long an exiting worker waits for its mail thread to finish the mail in
# flight and give back the rest; under graceful_timeout, after which the
# master kills the worker.
MAIL_STOP_SECONDS = 10
# The same for the search follower's current pass (a rebuild can take longer:
# then the process ends under it and Whoosh's lock goes with the process).
FOLLOWER_STOP_SECONDS = 5


def post_worker_init(worker):
    """Warm this worker up, then start its mail delivery thread (see miafeed/newsletter/delivery.py).

    Here and not in create_app, so CLI commands and tests never start one.
    Rows are claimed atomically, so several workers draining the same queue
    never send a mail twice.
    """
    from miafeed.http.warm_up import warm_up
    from miafeed.newsletter.delivery import start_background_delivery

    # Before the worker counts as serving (miafeed/serving/handover.py): its
    # first readers then never pay for compiling templates and opening the index.
    seconds = warm_up(worker.wsgi)
    worker.log.debug("Worker %s warmed up in %.2f s", worker.pid, seconds)
    worker.miafeed_mail_delivery = start_background_delivery(worker.wsgi)
    _start_search_follower(worker)


def _stop_mail_delivery(worker):
    delivery = getattr(worker, "miafeed_mail_delivery", None)
    if delivery is not None:
        worker.miafeed_mail_delivery = None
        if not delivery.stop(timeout=MAIL_STOP_SECONDS):
            worker.log.warning("Mail thread still sending after %ss; its claim's lease will return the rest", MAIL_STOP_SECONDS)


def worker_int(worker):
    """SIGINT/SIGQUIT (Ctrl-C on `make run`): stop the mail thread cleanly first."""
    _stop_mail_delivery(worker)


def worker_exit(server, worker):
    """The worker is leaving (reload with HUP, stop, max requests): the mail
    thread finishes the mail in flight and gives back the rest of its claim,
    and the search follower ends after its current pass (not cut off in the
    middle of writing the index)."""
    _stop_mail_delivery(worker)
    _stop_search_follower(worker)


def _start_search_follower(worker):
    """Start this worker's search change-log follower (miafeed/search/follow.py).

    Every worker has one; a lock in the instance folder lets one of them
    apply the log at a time, so the host has one index writer.
    """
    from miafeed.search.follow import start_background_follower

    worker.miafeed_search_follower = start_background_follower(worker.wsgi)


def _stop_search_follower(worker):
    follower = getattr(worker, "miafeed_search_follower", None)
    if follower is not None:
        worker.miafeed_search_follower = None
        follower.stop(timeout=FOLLOWER_STOP_SECONDS)

# --- Address, settings check and runtime files (see miafeed/serving/master_hooks.py) ---
from miafeed.serving import master_hooks  # noqa: E402  (imports no app: nothing shared across the fork)

# In the instance folder, not ~/.gunicorn/ (gunicorn's default outside $XDG_RUNTIME_DIR);
# none at all if the folder's path is too long to name a Unix socket.
control_socket = master_hooks.control_socket_path() or "gunicorn.ctl"
control_socket_disable = master_hooks.control_socket_path() is None


def on_starting(server):
    master_hooks.refuse_bad_settings()


def when_ready(server):
    master_hooks.announce(server)
