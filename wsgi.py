"""Entry point for gunicorn and the Flask CLI: `flask --app wsgi ...`."""
from miafeed import create_app

app = create_app()
