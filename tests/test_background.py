"""The background-thread skeleton the mail delivery and search follower share."""
import threading

from miafeed.background import BackgroundLoop
from processes import wait_until


class Counting(BackgroundLoop):
    """Fails on its first pass, then counts passes."""

    def __init__(self, app, **options):
        super().__init__(app, name="test-loop", interval=60, failure="test pass failed", **options)
        self.passes = 0
        self.passed = threading.Event()

    def one_pass(self):
        self.passes += 1
        if self.passes == 1:
            raise RuntimeError("a bad minute for the database")
        self.passed.set()


def wait_for(condition, seconds=10):
    wait_until(condition, seconds, "the loop's state", step=0.01)


def test_a_failing_pass_is_logged_and_the_next_wake_runs_again(app, caplog):
    loop = Counting(app, pass_at_start=True).start()
    try:
        wait_for(lambda: loop.passes == 1)
        loop.wake.set()
        assert loop.passed.wait(10)
    finally:
        assert loop.stop()
    assert "test pass failed" in caplog.text
    assert not loop.thread.is_alive()


def test_without_pass_at_start_nothing_runs_until_woken_and_stop_ends_a_long_wait(app):
    loop = Counting(app).start()
    assert loop.stop(timeout=10)
    assert loop.passes == 0
