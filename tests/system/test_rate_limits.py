"""A sign-up limit is the limit, however many workers or hosts serve the site.

Real gunicorn servers, real sign-up posts: the default storage shares one
count between the workers of a host (instance/ratelimits.sqlite); with
RATELIMIT_STORAGE_URI=redis://... two hosts share one count in Redis.
"""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from hosts_support import Host, running

pytestmark = pytest.mark.slow

LIMIT = 5
ATTEMPTS = 14


def _host(tmp_path, name: str, **settings) -> Host:
    host = Host(name=name, instance=tmp_path / name, settings={
        "SUBSCRIBE_RATE_LIMIT": f"{LIMIT} per minute", "MAIL_BACKGROUND_DELIVERY": "false",
        "SUBSCRIBE_MIN_ANSWER_SECONDS": "0",
        # Form posts from a script, not a page: no session token to send.
        "WTF_CSRF_ENABLED": "false", **settings,
    })
    host.flask("db", "upgrade", "heads")
    return host


def test_host_file_counts_per_window_and_starts_again_when_it_ends(tmp_path):
    from miafeed.ratelimit_storage import HostFileStorage

    first = HostFileStorage(f"miafeed-host://{tmp_path}/counts.sqlite")
    second = HostFileStorage(f"miafeed-host://{tmp_path}/counts.sqlite")  # another worker
    assert [first.incr("signup/127.0.0.1", 60), second.incr("signup/127.0.0.1", 60)] == [1, 2]
    assert second.get("signup/127.0.0.1") == 2 and first.get("signup/10.0.0.9") == 0
    assert first.incr("ended", 0) == 1 and second.incr("ended", 0) == 1  # a window of 0 s is over at once
    first.clear("signup/127.0.0.1")
    assert second.get("signup/127.0.0.1") == 0
    assert first.check()


def test_workers_of_one_host_share_the_sign_up_count(tmp_path):
    host = _host(tmp_path, "single")
    with running(host, workers=3):
        # All at once, so the requests land on different workers.
        with ThreadPoolExecutor(ATTEMPTS) as pool:
            statuses = Counter(pool.map(host.sign_up, [f"reader{n}@example.org" for n in range(ATTEMPTS)]))
    assert statuses == {200: LIMIT, 429: ATTEMPTS - LIMIT}
    assert (host.instance / "ratelimits.sqlite").exists()


def test_two_hosts_share_one_count_in_redis(tmp_path, redis_server):
    hosts = [_host(tmp_path, name, RATELIMIT_STORAGE_URI=redis_server.url) for name in ("a", "b")]
    with running(hosts[0]), running(hosts[1]):
        statuses = [hosts[n % 2].sign_up(f"reader{n}@example.org") for n in range(ATTEMPTS)]
    assert Counter(statuses) == {200: LIMIT, 429: ATTEMPTS - LIMIT}
    accepted_by_host = Counter(hosts[n % 2].name for n, status in enumerate(statuses) if status == 200)
    assert set(accepted_by_host) == {"a", "b"}  # both hosts took sign-ups, and together no more than the limit
