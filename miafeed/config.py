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
# After this many permanent refusals (SMTP 5xx) in a row, a subscriber gets
# no more digests; any mail that gets through resets the count.
MAIL_BOUNCE_LIMIT = 3
# Every newsletter mail carries List-Id (RFC 2919). None: "newsletter." plus
# SITE_URL's host name, e.g. newsletter.example.org.
MAIL_LIST_ID = None
# DKIM signing in the app (see README, "Signing mail with DKIM"); off unless
# all three are set. The private key file is PEM (RSA), readable by the app.
DKIM_SELECTOR = None
DKIM_DOMAIN = None
DKIM_PRIVATE_KEY_FILE = None

# Flask-Limiter. memory:// counts per process; several workers or hosts
# should share redis://host:6379 so the limit holds across them.
SUBSCRIBE_RATE_LIMIT = "5 per minute; 50 per day"
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_ENABLED = True
RATELIMIT_HEADERS_ENABLED = True
# How many reverse proxies in front of the app set X-Forwarded-For/-Proto.
# 0 (default) trusts none, so a client cannot fake its address.
PROXY_HOPS = 0
