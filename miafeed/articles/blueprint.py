"""The `articles` blueprint object, apart from the modules that add routes to
it, so they import it without importing the package that imports them."""
from flask import Blueprint

bp = Blueprint("articles", __name__)
