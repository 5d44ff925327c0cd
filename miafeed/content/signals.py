"""What other packages listen to when the articles change.

The importer sends `content_changed` after its transaction commits (and
after bumping the content version, content/version.py), with the ids of
the articles it added, updated or removed. The search package is the one
listener: it updates the index and the related-article picks, and bumps the
version again once they are in place. The importer never imports search.
"""
from blinker import Namespace

_signals = Namespace()

# sender: the Flask app; kwargs: changes=ContentChanges
content_changed = _signals.signal("content-changed")
