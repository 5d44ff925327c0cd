"""`@shared_page`: a view declares, where it is defined, that its answer is the
same for every reader and which query arguments change its bytes.

    @bp.get("/category/<slug>")
    @shared_page("page")
    def category(slug): ...

That one line is all a new page needs to be kept by the page cache
(page_cache.py): the cache finds the view by routing the path, and keys the
kept answer by the path, the arguments named here, fragment or page, the
negotiated coding, the content version and the prefix the app is mounted
under. Every other argument (utm_source, fbclid...) is ignored, so a view
must read no argument it does not name. An argument whose raw text varies
more than its meaning can be named with a function that returns what the
page really depends on (search keys by the cleaned query).

Only a 200 that caching.py made public and that sets no cookie is kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs

ATTRIBUTE = "miafeed_shared_page"


@dataclass(frozen=True)
class SharedPage:
    """What a shared view's bytes depend on, besides its path."""

    args: tuple[str, ...] = ()
    normalised: dict[str, Callable[[str], str]] = field(default_factory=dict)

    def key_args(self, query_string: str) -> str:
        """The part of the cache key taken from the query string."""
        if not self.args and not self.normalised:
            return ""
        values = parse_qs(query_string, keep_blank_values=True)
        parts = [f"{name}={values.get(name, [''])[0]!r}" for name in self.args]
        parts += [f"{name}~{normalise(values.get(name, [''])[0])!r}" for name, normalise in self.normalised.items()]
        return "&".join(parts)


def shared_page(*args: str, **normalised: Callable[[str], str]):
    """Mark a view as a shared page whose bytes depend on `args` (and on the
    values `normalised` returns for its keyword arguments)."""
    spec = SharedPage(tuple(args), dict(normalised))

    def mark(view):
        setattr(view, ATTRIBUTE, spec)
        return view

    return mark


def shared_page_of(view) -> SharedPage | None:
    """The declaration of a view function, or None for a page that is not shared."""
    return getattr(view, ATTRIBUTE, None)
