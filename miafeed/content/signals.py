"""What other packages listen to when the articles change.

The importer sends `content_changed` after its transaction commits, with the
ids of the articles it added, updated or removed. The search index and the
related-article picks subscribe here, so the importer never imports them.
"""
from blinker import Namespace

_signals = Namespace()

# sender: the Flask app; kwargs: changes=ContentChanges
content_changed = _signals.signal("content-changed")
