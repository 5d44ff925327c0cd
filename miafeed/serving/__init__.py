"""The gunicorn side: the worker class, the master's hooks (address,
settings check, runtime files), the handover between old and new workers
on reload, and the server and access logs.

gunicorn.conf.py imports this package in the master before any app is
built, so it imports no app itself: nothing here may pull in the Flask
application at import time.
"""
