"""What other packages listen to when the articles change.

The importer sends `content_changed` after its transaction commits (and
after bumping the content version, content/version.py), with the ids of
the articles it added, updated or removed. The search package is the one
listener: it updates the index and the related-article picks, and bumps the
version again once they are in place. The importer never imports search.

A category taken out of categories.yml may still be chosen by readers as
a digest topic; content/ never imports the newsletter, so it asks through
two signals inside the import's write transaction, and the newsletter
answers: `category_readers` (each receiver returns how many readers chose
the category) and `category_replaced` (each receiver moves what it keeps
from one category to another and returns how many readers it moved).
"""
from blinker import Namespace

_signals = Namespace()

# sender: the Flask app; kwargs: changes=ContentChanges
content_changed = _signals.signal("content-changed")

# sender: the Flask app; kwargs: category_id; receivers return a count of readers
category_readers = _signals.signal("category-readers")
# sender: the Flask app; kwargs: from_category_id, to_category_id; receivers return readers moved
category_replaced = _signals.signal("category-replaced")
