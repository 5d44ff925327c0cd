"""The gunicorn side: the master's hooks (settings check, address), what
each worker runs beside its requests (worker_services.py), and the server
and access logs.

gunicorn.conf.py imports none of this at its top: the master calls
master_hooks by name at call time and each worker reaches worker_services
through the app it built. Nothing here may pull in the Flask application
at import time (master_hooks runs in the master, before the fork).
"""
