"""A posted form read in the charset it was sent in, or refused as unreadable.

Werkzeug reads a url-encoded body as UTF-8 and silently drops a field whose
bytes are not UTF-8: a problem report sent in latin-1 arrived as no text at
all, and the reader was thanked for nothing. Browsers send the page's
charset (ours is UTF-8), but a script or an old client may declare another
one in Content-Type (`charset=ISO-8859-1`). So the body is decoded here in
the declared charset (UTF-8 when none is given); a field that cannot be
decoded that way makes the whole form unreadable, and the view answers 400
instead of storing less than was sent. Multipart text fields are decoded by
Werkzeug as UTF-8 with replacement characters; one of those is refused the
same way.
"""
from __future__ import annotations

import codecs
from urllib.parse import unquote_to_bytes

from flask import request
from werkzeug.datastructures import MultiDict

URLENCODED = "application/x-www-form-urlencoded"
REPLACEMENT_CHARACTER = "\ufffd"


class UnreadableForm(ValueError):
    """The posted form is not text in the charset it claims (or in UTF-8)."""


def posted_form() -> MultiDict:
    """The request's form fields, decoded in the charset the client declared.

    Raises UnreadableForm when any field cannot be decoded, or the declared
    charset is unknown.
    """
    if request.mimetype != URLENCODED:
        form = request.form
        if any(REPLACEMENT_CHARACTER in value for value in form.values()):
            raise UnreadableForm("a field is not UTF-8 text")
        return form
    charset = request.mimetype_params.get("charset", "utf-8")
    try:
        codecs.lookup(charset)
    except LookupError as error:
        raise UnreadableForm(f"unknown charset {charset!r}") from error
    fields = MultiDict()
    for pair in request.get_data(cache=True).split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        try:
            fields.add(_decoded(name, charset), _decoded(value, charset))
        except UnicodeDecodeError as error:
            raise UnreadableForm(f"a field is not {charset} text") from error
    return fields


def _decoded(raw: bytes, charset: str) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode(charset)
