"""Entry point for gunicorn and the Flask CLI: `flask --app wsgi ...`."""
from miafeed import create_app
from miafeed.secrets import ConfigurationError

try:
    app = create_app()
except ConfigurationError as exc:
    # One line saying what to set, not a traceback, in a terminal or cron's mail.
    raise SystemExit(f"Mia's Feed cannot start: {exc}") from None
