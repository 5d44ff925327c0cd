"""Which searches that found nothing may be kept as words at all.

A miss is useful to an editor as a topic ("zebra diet"), never as a
person's words. Readers type their own details into a search box: an
email address, a phone, NHS or card number, a postcode, a name with a
diagnosis. The first kinds have a shape, refused here: anything with a
digit in it (phone, card, ID numbers, postcodes, house numbers and dates
all have one), an "@", or a web or mail address. A name has no shape;
misses.py keeps a query as text only once several searches asked it.
"""
from __future__ import annotations

import re

# A host name or address: "example.org", "www.nhs.uk", "http://...".
_ADDRESS = re.compile(r"(://|\bwww\.|[a-z]\.(com|org|net|uk|io|co|info|gov|nhs)\b)")


def may_keep(query: str) -> bool:
    """False for a (normalised) query that looks like personal data."""
    if any(char.isdigit() for char in query):
        return False
    if "@" in query:
        return False
    return _ADDRESS.search(query) is None
