"""Fixtures: a fresh app and database per test, and a writer of article files."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from apps import app, app_config, app_defaults, demo_app  # noqa: F401  (the suite's app fixtures)
from clock import NOW
from database_support import ON_POSTGRES, close_test_databases, drop_test_databases
from content_folder import AUTHORS_YML, CATEGORIES_YML, ContentFolder  # noqa: F401  (tests import them from here too)



def pytest_collection_modifyitems(config, items):
    """Skip the tests written for the other database (see database_support)."""
    for item in items:
        if ON_POSTGRES and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="checks SQLite behaviour; this run is on PostgreSQL"))
        if not ON_POSTGRES and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: `make test-postgres`"))


@pytest.fixture(autouse=True)
def _fresh_database_per_test():
    """On PostgreSQL, drop the databases a test created once it is over."""
    yield
    drop_test_databases()


def pytest_sessionfinish(session, exitstatus):
    close_test_databases()


def _service(start):
    import services

    try:
        server = start()
    except services.ServiceMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    return server


@pytest.fixture(scope="session")
def _redis_process():
    import services

    server = _service(services.start_redis)
    yield server
    server.stop()


@pytest.fixture
def redis_server(_redis_process):
    """A throwaway redis-server on a unix socket (tests/services.py), emptied
    for each test: counts one test leaves (a rate limit used up within its
    minute) must not decide the next test's answers."""
    import redis

    client = redis.Redis(unix_socket_path=str(_redis_process.socket))
    client.flushall()
    client.close()
    return _redis_process


@pytest.fixture(scope="session")
def postgres_server_url():
    """The PostgreSQL server this run uses (make test-postgres), for tests that
    start several processes or hosts against one database."""
    from database_support import SERVER_URL

    if not SERVER_URL:
        pytest.skip("needs PostgreSQL: `make test-postgres`")
    return SERVER_URL


class Clock:
    """The test's clock, held at tests/clock.py's NOW until the test moves it.

    time-machine moves `time.time()` and `datetime.now()` for the whole
    process (the app's `utcnow()` included) but not `time.monotonic()`, so
    deadlines and timeouts still measure real time."""

    def __init__(self, traveller):
        self._traveller = traveller
        self.now = NOW

    def advance(self, **delta) -> datetime:
        """Move the clock forward (days=, hours=, minutes=, seconds=) and return the new now."""
        self.now = self.now + timedelta(**delta)
        self._traveller.move_to(self.now.replace(tzinfo=timezone.utc))
        return self.now


@pytest.fixture
def clock():
    """Hold the clock at NOW for this test; `clock.advance(days=8)` moves it."""
    with time_machine.travel(NOW.replace(tzinfo=timezone.utc), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def content(tmp_path):
    return ContentFolder(tmp_path / "content")
