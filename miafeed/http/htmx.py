"""What an htmx request asks for: a fragment to swap, or the whole page.

One rule, read two ways: from Flask's request (views, error pages, the
cross-origin refusal) and from the raw WSGI environ (the page cache, which
answers before Flask builds a request). Both must agree, or a fragment
could be kept under a page's key.
"""
from __future__ import annotations

from flask import request


def wants_fragment_environ(environ) -> bool:
    """True for an htmx request that swaps part of the page.

    A boosted navigation or a history restore needs the whole page, so they
    get it even though htmx sent them.
    """
    return (
        environ.get("HTTP_HX_REQUEST") == "true"
        and environ.get("HTTP_HX_BOOSTED") != "true"
        and environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST") != "true"
    )


def wants_fragment() -> bool:
    """`wants_fragment_environ` for the request being handled."""
    return wants_fragment_environ(request.environ)
