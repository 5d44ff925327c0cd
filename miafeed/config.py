"""Default settings.

Order of precedence (last wins): these defaults, then `instance/config.py`,
then environment variables prefixed with `MIAFEED_` (for example
`MIAFEED_SITE_URL=https://example.org`). Values in the environment are parsed
as JSON when they can be, so `MIAFEED_ARTICLES_PER_PAGE=20` is the number 20.
Every setting, with its default and meaning: docs/configuration.md.
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
# Absolute base for links that leave the request (emails, feeds, sitemap,
# canonical URLs). None: the address gunicorn serves on (`make run PORT=9000`
# gives http://127.0.0.1:9000); production must set it. See site_url.py.
SITE_URL = None
# Set by the server for its workers (MIAFEED_SERVED_URL, see site_url.py):
# the address it serves on, the fallback for SITE_URL in development.
SERVED_URL = None

# The content folder `content import` (and `make db`) imports when given no
# path. None: the repository's demo content/ in development, nothing in
# production (set MIAFEED_CONTENT_DIR to your own folder there).
CONTENT_DIR = None
DEFAULT_AUTHOR = "Mia's Feed editorial team"
READING_WORDS_PER_MINUTE = 230
# An article is due for its next medical review this many days after its
# last one, unless its front matter says `next_review` (content/review.py).
REVIEW_INTERVAL_DAYS = 730
# Lead images (see docs/editing.md, Lead images): where the import writes the
# WebP/JPEG variants and /images/ serves them from. None: instance/images/.
LEAD_IMAGE_FOLDER = None

ARTICLES_PER_PAGE = 12

# --- Request limits (see docs/configuration.md) ---
# The site's only forms are a few short fields (an address is at most 320
# characters), so a body over 16 KiB is never a reader. Flask answers 413
# from the Content-Length, before reading the body. This is also the only
# cap on a url-encoded form: Werkzeug applies MAX_FORM_MEMORY_SIZE to
# multipart fields alone.
MAX_CONTENT_LENGTH = 16 * 1024
# One text field of a multipart form.
MAX_FORM_MEMORY_SIZE = 4 * 1024
# Fields in a multipart form.
MAX_FORM_PARTS = 50

# --- Forms and the cross-origin guard (see docs/architecture.md, "Forms without cookies") ---
# Flask-WTF's session-bound CSRF token is off: it set a cookie on every
# reader and made every page private. security.py refuses unsafe requests
# that a browser says come from another site instead.
WTF_CSRF_ENABLED = False
# Extra origins (https://host[:port]) whose pages may post forms here, for
# example a second domain of the site. SITE_URL's origin is always trusted.
TRUSTED_ORIGINS = []
# The Strict-Transport-Security value sent in production (security.py); an
# empty string sends none.
HSTS = "max-age=31536000; includeSubDomains"

# --- Caching (see docs/architecture.md, "Caching") ---
# What browsers, proxies and CDNs are told about shared pages. A minute
# fresh; then five minutes in which a cache may answer with the old copy
# while it fetches the new one; a day of the last good copy if the app is down.
HTTP_MAX_AGE_SECONDS = 60
HTTP_STALE_WHILE_REVALIDATE_SECONDS = 300
HTTP_STALE_IF_ERROR_SECONDS = 86400
# The page cache inside the app. An import, a reindex or a scheduled article
# shows at once on this host; a change made on another host within
# PAGE_CACHE_SECONDS.
PAGE_CACHE_ENABLED = True
PAGE_CACHE_SECONDS = 30
# Any Flask-Caching backend: SimpleCache is per worker process; RedisCache
# (with PAGE_CACHE_REDIS_URL, needs the redis package) shares one cache.
PAGE_CACHE_TYPE = "SimpleCache"
PAGE_CACHE_MAX_ENTRIES = 1000
PAGE_CACHE_REDIS_URL = None
# None: url_for('static', ...) gives the hashed names when
# static/dist/manifest.json exists; False gives the plain names (tests).
STATIC_HASHED_URLS = None

# --- Newsletter (see docs/architecture.md, The newsletter) ---
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
# A mail the server does not take is retried (30 s, doubling, at most an
# hour apart) for this long, like a mail server's own queue, then marked
# failed (`mail retry` requeues it). A 5xx refusal fails at once.
MAIL_RETRY_FOR_HOURS = 120
# A claim on queued mail is a lease, renewed while its batch is sent: a
# process killed mid-send has its mails taken back after this long.
MAIL_CLAIM_LEASE_SECONDS = 60
# This many permanent refusals in a row with the same reply (such as "554
# 5.7.1 Relay access denied") are the relay's fault, not the readers': no
# bounce is counted and delivery pauses, trying one mail again after
# MAIL_RELAY_RETRY_SECONDS (doubling, at most an hour) until the relay takes it.
MAIL_RELAY_FAULT_AFTER = 3
MAIL_RELAY_RETRY_SECONDS = 60
# /healthz says "degraded" for the mail queue once its oldest waiting mail
# is older than this.
MAIL_BACKLOG_DEGRADED_MINUTES = 30
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
# DKIM signing in the app (see docs/operations.md, "Signing mail with DKIM"); off unless
# all three are set. The private key file is PEM (RSA), readable by the app.
DKIM_SELECTOR = None
DKIM_DOMAIN = None
DKIM_PRIVATE_KEY_FILE = None

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

# --- Reader feedback (see docs/operations.md, Feedback) ---
# "Was this page helpful?" and "Report a problem" at the end of each article.
# Answers from one address count together across both forms.
FEEDBACK_RATE_LIMIT = "10 per minute; 100 per day"
# Answers are deleted after this many days (with every new answer, and by
# `flask feedback prune`); the privacy page says so.
FEEDBACK_KEEP_DAYS = 365

# --- Search (see docs/architecture.md, Search) ---
# Where the Whoosh indexes live. None: instance/search/.
SEARCH_INDEX_DIR = None
# Processes that analyse text during `search reindex` (the VM has 2 cores);
# `--procs N` for one run.
SEARCH_WRITER_PROCS = 2

# --- Search replicas (see docs/deployment.md, Several hosts) ---
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
# This host's name in `flask stats` (hosts and their code versions). None:
# the machine's name and a short hash of the instance folder.
HOST_NAME = None
# --- Operations (see docs/operations.md) ---
# `flask backup` writes here (None: instance/backups/) and keeps the newest N.
BACKUP_DIR = None
BACKUP_KEEP = 14

# --- Writes the site cannot take now (issue 29; see docs/operations.md) ---
# A post refused because the database is busy past SQLITE_BUSY_TIMEOUT_MS or
# the disk is full is answered 503 with this Retry-After (seconds).
WRITE_RETRY_AFTER_SECONDS = 30

# --- Searches that found nothing (issue 29; see docs/operations.md) ---
# Kept queries are deleted after this many days; the privacy page quotes it.
SEARCH_MISS_RETENTION_DAYS = 90
# A query is kept as words only once this many searches asked it within
# SEARCH_MISS_WAIT_DAYS; until then only a keyed hash and a count are
# stored (search/misses.py). Queries with a digit, "@" or a web address are
# never recorded.
SEARCH_MISS_MIN_SEARCHES = 3
SEARCH_MISS_WAIT_DAYS = 7
# New rows (kept queries and hashes together) one day may add; past it, new
# queries are not recorded until the next day. About 60 kB a day at most.
SEARCH_MISS_DAILY_ROWS = 1000

# Issue 30: bounces and complaints that come back later, and the send rate.
# The envelope sender for VERP (bounces+<reader>-<tag>@domain, see
# newsletter/verp.py); None sends with MAIL_DEFAULT_SENDER's address.
MAIL_BOUNCE_ADDRESS = None
# `flask mail bounces` reads this Maildir (where the MTA delivers the
# bounce address's mail); None: no local bounce mailbox.
MAIL_BOUNCE_MAILDIR = None
# ... or this IMAP folder (both, if both are set). TLS: "ssl" (IMAPS),
# "starttls" or "none" (only for a server on this host).
MAIL_BOUNCE_IMAP_HOST = None
MAIL_BOUNCE_IMAP_PORT = 993
MAIL_BOUNCE_IMAP_USER = None
MAIL_BOUNCE_IMAP_PASSWORD = None
MAIL_BOUNCE_IMAP_FOLDER = "INBOX"
MAIL_BOUNCE_IMAP_TLS = "ssl"
# Provider webhooks (newsletter/webhooks.py); an endpoint whose setting is
# empty answers 404. Mailgun: the domain's HTTP webhook signing key.
MAIL_WEBHOOK_MAILGUN_KEY = None
# Postmark: the user and password written into the webhook URL
# (https://user:password@host/newsletter/webhooks/postmark).
MAIL_WEBHOOK_POSTMARK_USER = None
MAIL_WEBHOOK_POSTMARK_PASSWORD = None
# A signed Mailgun call whose timestamp is further than this from now is refused.
MAIL_WEBHOOK_MAX_AGE_SECONDS = 300
# Mails a second for the whole site, across workers and hosts (through the
# database); None or 0: as fast as the relay takes them.
MAIL_SEND_RATE = None
# After the relay answers "slow down" (421, 4.7.x, "rate"), nobody sends for
# this long, doubling with each such answer in a row (at most 10 minutes).
MAIL_THROTTLE_SECONDS = 30

# --- Releases side by side (issue 28; see docs/deployment.md) ---
# A folder of hashed static files kept from earlier releases, served after
# this release's own static/dist/ so a page an earlier release rendered
# (in a proxy's cache, or a reader's open tab) never links a missing file.
# deploy/site sets it to ROOT/shared/static; None serves static/dist/ alone.
STATIC_ARCHIVE_DIR = None
