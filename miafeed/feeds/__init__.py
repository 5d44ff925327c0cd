"""Blueprint for what feed readers and crawlers fetch: Atom feeds, sitemap, robots.txt."""
from . import views  # noqa: F401  (registers the routes)
from .blueprint import bp

__all__ = ["bp"]
