"""Blueprint for the pages readers browse: home, article, category, tag.

The blueprint object lives in blueprint.py; importing the modules below
adds their routes to it.
"""
from . import views  # noqa: F401  (registers the routes on bp)
from . import related  # noqa: F401  (the Related Articles panel)
from . import images  # noqa: F401  (lead-image variants)
from . import canonical  # noqa: F401  (redirects to canonical article addresses)
from .blueprint import bp

__all__ = ["bp"]
