"""Blueprint for the pages readers browse: home, article, category, tag."""
from flask import Blueprint

bp = Blueprint("articles", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
from . import related  # noqa: E402,F401  (the Related Articles panel)
from . import images  # noqa: E402,F401  (lead-image variants)
from . import canonical  # noqa: E402,F401  (redirects to canonical article addresses)
