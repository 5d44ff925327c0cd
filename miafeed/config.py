"""Default settings.

Order of precedence (last wins): these defaults, then `instance/config.py`,
then environment variables prefixed with `MIAFEED_` (for example
`MIAFEED_SITE_URL=https://example.org`). Values in the environment are parsed
as JSON when they can be, so `MIAFEED_PER_PAGE=20` is the number 20.
"""

# "development" or "production". Production refuses to start without a real
# SECRET_KEY and turns on the settings that assume HTTPS.
ENV = "development"

# Left empty on purpose: a development key is generated into instance/.
SECRET_KEY = None

# None means "SQLite file in the instance folder"; any SQLAlchemy URL works
# (postgresql+psycopg://... for several hosts).
SQLALCHEMY_DATABASE_URI = None
SQLITE_BUSY_TIMEOUT_MS = 5000

SITE_NAME = "Mia's Feed"
SITE_TAGLINE = "Health research, in plain language."
# Absolute base for links that leave the request (emails, feeds, sitemap).
SITE_URL = "http://127.0.0.1:8000"

# Where `content import` looks for categories when the imported path has none.
CONTENT_DIR = None  # None: the repository's content/ folder
DEFAULT_AUTHOR = "Mia's Feed editorial team"
READING_WORDS_PER_MINUTE = 230

ARTICLES_PER_PAGE = 12

WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session cookie
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Newsletter (see README, Newsletter) ---
# SMTP delivery when MAIL_SERVER is set; otherwise each mail is written as an
# .eml file into instance/outbox/.
MAIL_SERVER = None
MAIL_PORT = 587
MAIL_USE_TLS = False  # STARTTLS after connecting
MAIL_USE_SSL = False  # TLS from the first byte (usually port 465)
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "Mia's Feed <newsletter@localhost>"
MAIL_TIMEOUT_SECONDS = 20
MAIL_BATCH_SIZE = 50
MAIL_MAX_ATTEMPTS = 8
# gunicorn workers run a small delivery thread that polls this often (and is
# woken at once by a sign-up in the same worker).
MAIL_BACKGROUND_DELIVERY = True
MAIL_POLL_SECONDS = 5
# A pending or active address gets at most one notice mail per this many minutes.
SUBSCRIBE_NOTICE_INTERVAL_MINUTES = 5
# Every accepted sign-up is answered no sooner than this, so the answer's
# timing cannot tell a new address from a known one.
SUBSCRIBE_MIN_ANSWER_SECONDS = 0.05
CONFIRM_TOKEN_MAX_AGE_HOURS = 72
DIGEST_MAX_ARTICLES = 10

# Flask-Limiter. None: the host's workers share one count in
# instance/ratelimits.sqlite (see miafeed/ratelimit_storage.py). Several hosts
# share one count with redis://host:6379/0 (needs the `redis` extra). Never
# memory://: it counts per process, so 5 workers let 5 times the limit through.
SUBSCRIBE_RATE_LIMIT = "5 per minute; 50 per day"
RATELIMIT_STORAGE_URI = None
RATELIMIT_ENABLED = True
RATELIMIT_HEADERS_ENABLED = True
# How many reverse proxies in front of the app set X-Forwarded-For/-Proto.
# 0 (default) trusts none, so a client cannot fake its address.
PROXY_HOPS = 0

# --- Search replicas (see README, Several hosts) ---
# Each host applies the search change log to its own index this often.
SEARCH_FOLLOW_SECONDS = 2
# Run that follower as a thread in the gunicorn workers (one at a time per
# host, under a lock). False when `flask search follow` runs as its own service.
SEARCH_FOLLOW_IN_WEB = True
# /healthz answers 503 when the oldest change this host has not applied yet
# is older than this.
SEARCH_MAX_LAG_SECONDS = 60
# On PostgreSQL a change's number can become visible after higher ones (its
# transaction committed later). A missing number is looked for again for
# this long before it is taken for a rolled-back transaction.
SEARCH_GAP_GRACE_SECONDS = 600
# Change log rows older than this are deleted; a host away longer rebuilds.
SEARCH_CHANGES_KEEP_DAYS = 7
