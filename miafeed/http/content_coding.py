"""Which content coding (Brotli, gzip or none) a client gets, and the compressing.

One function, `negotiate`, decides for a request, and everything that
depends on the answer asks it: the page cache's key, the compression of the
body, `Vary` and the ETag (caching.py). Two parsers that disagree are how a
kept Brotli copy once reached clients that had refused Brotli.

The rules (RFC 9110, 12.5.3):
* no Accept-Encoding, or an empty one: no coding;
* a coding's weight is its own `q`, else the weight of `*`, else 0 (not
  acceptable); `q=0` refuses; names are case-insensitive;
* the acceptable coding with the highest weight wins, Brotli before gzip on
  a tie; an explicitly listed `identity` that weighs more wins over both;
* anything else (unknown codings only, every coding refused, `*;q=0`,
  `identity;q=0`, a malformed q-value) gets no coding: a body that every
  client can read, rather than a 406 page no browser would ever need.
"""
from __future__ import annotations

import gzip
import re
from functools import lru_cache

import brotli

IDENTITY = "identity"
# The codings we produce, in the order we prefer them when a client weighs them equally.
CODINGS = ("br", "gzip")
ALIASES = {"x-gzip": "gzip"}
# RFC 9110's qvalue: 0 to 1 with at most three decimals.
QVALUE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)\Z")
# Below this, compressing saves less than the Content-Encoding header costs.
MIN_SIZE = 500
BROTLI_QUALITY = 5  # measured in bench/http_bench.py: far cheaper than 11, nearly as small
GZIP_LEVEL = 6


def _weights(header: str) -> dict[str, float]:
    """coding -> weight, for the entries that parse; the first mention of a coding counts."""
    weights: dict[str, float] = {}
    for item in header.split(","):
        name, _, parameters = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight: float | None = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                weight = float(value) if QVALUE.match(value) else None
        if weight is not None:
            weights.setdefault(ALIASES.get(name, name), weight)
    return weights


@lru_cache(maxsize=128)  # at most ~1 MB even for 8 KB headers
def negotiate(accept_encoding: str | None) -> str:
    """The coding ("br", "gzip" or "identity") for a request's Accept-Encoding.

    Cached: browsers send a handful of distinct values, and the page cache
    asks on every hit.
    """
    if not accept_encoding:
        return IDENTITY
    weights = _weights(accept_encoding)
    anything = weights.get("*", 0.0)
    chosen, chosen_weight = IDENTITY, 0.0
    for coding in CODINGS:
        weight = weights.get(coding, anything)
        if weight > chosen_weight:
            chosen, chosen_weight = coding, weight
    if chosen != IDENTITY and weights.get(IDENTITY, 0.0) > chosen_weight:
        return IDENTITY
    return chosen


def negotiate_environ(environ) -> str:
    """`negotiate` for a raw WSGI environ (the page cache, before Flask)."""
    return negotiate(environ.get("HTTP_ACCEPT_ENCODING"))


def compress(body: bytes, coding: str) -> bytes:
    """`body` in `coding` ("br" or "gzip"). gzip's header carries no time, so
    the same body always compresses to the same bytes."""
    if coding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    if coding == "gzip":
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    raise ValueError(f"unknown content coding {coding!r}")
