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
