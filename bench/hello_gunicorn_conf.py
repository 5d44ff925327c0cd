"""gunicorn settings for the hello-world baseline of bench/http_bench.py.

The site's own gunicorn.conf.py, read as it is (workers, worker class,
threads, timeouts, access log), minus its hooks: they start the site's mail
delivery, which a hello-world app does not have.
"""
from pathlib import Path

_site: dict = {}
_path = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
exec(compile(_path.read_text(), str(_path), "exec"), _site)  # our own settings file
globals().update(
    {
        name: value
        for name, value in _site.items()
        if not name.startswith("_") and not callable(value) and not hasattr(value, "__file__")
    }
)
