"""Blueprint for what feed readers and crawlers fetch: Atom feeds, sitemap, robots.txt."""
from flask import Blueprint

bp = Blueprint("feeds", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
