"""content_coding.negotiate: the one decision of which coding a client gets."""
from __future__ import annotations

import gzip

import brotli
import pytest

from miafeed.http.content_coding import compress, negotiate


@pytest.mark.parametrize(
    "header, coding",
    [
        (None, "identity"),
        ("", "identity"),
        ("   ", "identity"),
        ("br, gzip", "br"),
        ("gzip, br", "br"),  # equal weights: ours, Brotli first
        ("gzip;q=1, br;q=0.999", "gzip"),
        ("x-gzip", "gzip"),
        ("Gzip;Q=0.5", "gzip"),
        ("br;q=0, br", "identity"),  # the first mention of a coding counts
        ("*;q=0.5, gzip;q=0.4", "br"),
        ("identity;q=0.5, gzip;q=0.6", "gzip"),
        ("identity, gzip;q=0.6", "identity"),
        ("br;q=1.0001", "identity"),  # not a qvalue: as if not sent
        ("br;q=", "identity"),
        ("br;level=5", "br"),  # parameters other than q change nothing
        (",,;q=1,", "identity"),
    ],
)
def test_negotiate_follows_rfc_9110_weights(header, coding):
    assert negotiate(header) == coding


def test_compressed_bodies_come_back_unchanged_and_gzip_carries_no_time():
    body = b"<p>Sleep words.</p>" * 100
    assert brotli.decompress(compress(body, "br")) == body
    assert gzip.decompress(compress(body, "gzip")) == body
    assert compress(body, "gzip") == compress(body, "gzip")
