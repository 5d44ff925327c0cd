"""Markdown files with YAML front matter -> validated, sanitized Article rows."""
from .importer import ImportError_, ImportResult, import_content
from .signals import content_changed

__all__ = ["ImportError_", "ImportResult", "import_content", "content_changed"]
