"""Operator commands and their helpers: backups (SQLite and PostgreSQL),
`flask stats`, and the warning when a command runs as root against the
service user's instance folder.

create_app registers them; no page and no other package imports them
(the hosts heartbeat, which the search follower writes, is miafeed/hosts.py
at the root for that reason).
"""
