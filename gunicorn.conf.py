"""gunicorn settings for `make run` and production (deploy/site).

This file imports nothing from miafeed. gunicorn's master reads it again on
a HUP and a new master reads it after an upgrade (USR2), while the code
around it may be another release's: a module named here could have moved.
So the master finds the site's code only at call time, by a name, with a
clear fallback (`_master_hook`), and each worker asks the app it has just
built (`worker.wsgi`, a Flask app) for its own start and stop hooks.

A release is found through the path this file was read from: deploy/site
starts gunicorn with `-c ROOT/current/gunicorn.conf.py`, and on USR2
gunicorn re-executes the same command line, so the new master reads the
release `current` points at by then. `chdir` and `sys.path` are pinned to
the real folder, so a master never picks up modules of a release switched
in after it started (the old workers keep their own code to the end).

Workers are forked without preloading the app, so no database connection,
Whoosh searcher or thread is ever shared across the fork.

Worker class: gunicorn's gthread, which keeps idle connections in its
event loop, holding no thread, but gives a thread to a connection as soon
as its first bytes arrive: 40 clients dribbling their headers held all 32
threads of 4 workers and /healthz answered once in 12 s
(bench/slow_clients.py). miafeed/serving/header_wait.py waits for the whole
header block in the event loop instead, so `make run` without a proxy
stays up. nginx and Caddy in front buffer slow clients entirely
(docs/deployment.md).
"""
import faulthandler
import importlib
import multiprocessing
import os
import sys

# The release this file belongs to, symlinks resolved: ROOT/releases/<commit>
# under deploy/site, the checkout under `make run`.
RELEASE = os.path.dirname(os.path.realpath(__file__))
chdir = RELEASE
# `current/.venv/bin/python` puts `current/...` paths on sys.path; resolve
# them now, so later imports in this master and its workers come from the
# release (and virtualenv) it started with, whatever `current` says later.
sys.path[:] = [os.path.realpath(entry) if entry else entry for entry in sys.path]

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# The usual 2 x cores + 1, capped so a big host doesn't open dozens of SQLite
# connections; override with WEB_CONCURRENCY.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 9)))
# gunicorn's gthread, waiting for a request's whole header block in the
# event loop (miafeed/serving/header_wait.py); a class name, loaded by each
# master from its own release's code.
worker_class = "miafeed.serving.header_wait.HeaderCompleteThreadWorker"
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
# A class name, loaded by each master from its own release's code.
logger_class = "miafeed.serving.server_log.SiteLogger"
timeout = 30
graceful_timeout = 20
# Smaller than gunicorn's defaults: no page of ours needs many headers, and
# every byte a client may send is a byte it can send slowly. The request
# line keeps gunicorn's most (8190): a long search then reaches the app,
# which cuts it with a note.
limit_request_line = 8190
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

# gunicorn's control socket goes in the instance folder, not ~/.gunicorn/
# (outside the project and, under systemd's ProtectHome, not writable); none
# at all when that path is too long for a Unix socket name (107 bytes). A
# master started by an upgrade (USR2: gunicorn sets GUNICORN_PID) takes a
# name of its own, gunicorn.<pid>.ctl: the old master removes its socket's
# file when it stops, which would otherwise be the new master's.
_instance = os.environ.get("MIAFEED_INSTANCE_PATH") or os.path.join(RELEASE, "instance")
_socket_name = f"gunicorn.{os.getpid()}.ctl" if os.environ.get("GUNICORN_PID") else "gunicorn.ctl"
control_socket = os.path.join(_instance, _socket_name)
control_socket_disable = len(control_socket.encode()) > 107


def _master_hook(name, *args):
    """Call miafeed.serving.master_hooks.<name>, imported now from this
    master's release; if that release has no such hook, say so and go on
    (gunicorn's own behaviour) rather than stop the master."""
    try:
        hook = getattr(importlib.import_module("miafeed.serving.master_hooks"), name)
    except (ImportError, AttributeError) as exc:
        print(f"Mia's Feed: no master hook {name} in this release ({exc}); going on without it", file=sys.stderr)
        return None
    return hook(*args)


def on_starting(server):
    """Refuse to bind with settings that cannot work (one line, no traceback)."""
    # What the site writes (database, index, outbox, the address file) is not
    # for other users; as a daemon, gunicorn would otherwise leave 022.
    os.umask(0o077)
    _master_hook("refuse_bad_settings")


def when_ready(server):
    """Record the address served and print the one line to open."""
    _master_hook("announce", server)


def post_fork(server, worker):
    # A crash in C code (SIGSEGV, SIGBUS, SIGABRT) prints every thread's
    # Python stack to the error log before the worker dies; without it the
    # log says only "Worker was sent SIGSEGV".
    faulthandler.enable(file=sys.stderr, all_threads=True)


def _worker_services(worker):
    # The app publishes its worker hooks itself (miafeed/serving/worker_services.py).
    return getattr(worker.wsgi, "extensions", {}).get("miafeed_worker_services")


def post_worker_init(worker):
    """The app is built: let it warm up and start its background threads
    (mail delivery, search follower) and its log, before it takes readers."""
    services = _worker_services(worker)
    if services is None:
        worker.log.warning("This app has no worker services: no warm-up, mail thread or search follower")
        return
    services.start(worker.log)


def worker_int(worker):
    """SIGINT/SIGQUIT (Ctrl-C on `make run`): stop the background threads cleanly first."""
    services = _worker_services(worker)
    if services is not None:
        services.stop(worker.log)


def worker_exit(server, worker):
    """The worker is leaving (stop, upgrade, max requests): the mail thread
    finishes the mail in flight and gives back the rest of its claim, and
    the search follower ends after its current pass."""
    services = _worker_services(worker)
    if services is not None:
        services.stop(worker.log)
