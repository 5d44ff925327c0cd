"""The `feeds` blueprint object, apart from views.py that adds routes to it,
so views.py imports it without importing the package that imports it."""
from flask import Blueprint

bp = Blueprint("feeds", __name__)
