"""gunicorn's own log as the site wants it (gunicorn.conf.py's logger_class).

Access lines come without mail-link tokens (access_log.py). And gunicorn
27 stops its control-socket thread before every fork and starts it again
after, logging "Control socket listening" each time: once per worker
booted, so every reload and every replaced worker repeats it. The master
says it once; later repeats are dropped.
"""
from __future__ import annotations

import logging

from .access_log import TokenScrubbingLogger

ONCE_PER_MASTER = ("Control socket listening",)


class OncePerProcess(logging.Filter):
    """Let each of ONCE_PER_MASTER's messages through the first time only.

    The set lives on the class: gunicorn sets its logger up again on every
    reload, and a new filter must still remember what was said."""

    said: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        for start in ONCE_PER_MASTER:
            if message.startswith(start):
                if start in self.said:
                    return False
                self.said.add(start)
        return True


class SiteLogger(TokenScrubbingLogger):
    """The logger gunicorn.conf.py names: tokens scrubbed, repeats dropped."""

    def setup(self, cfg):
        super().setup(cfg)
        if not any(isinstance(existing, OncePerProcess) for existing in self.error_log.filters):
            self.error_log.addFilter(OncePerProcess())
