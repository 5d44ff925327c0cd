"""Newsletter benchmark: prints figures, asserts nothing.

1. Compose and queue a weekly digest for N active subscribers (default
   10,000) with 10 new articles: mails per second, peak Python memory
   (tracemalloc, in a second run) and the process's peak RSS.
2. Deliver queued mail to a local aiosmtpd server: mails per second.
3. Sign-up answer time for a new, pending, active and unsubscribed address
   (the form must not reveal which is which).

    .venv/bin/python bench/newsletter_digest.py [--subscribers 10000] [--deliver 2000]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402

from miafeed import create_app  # noqa: E402
from miafeed.extensions import db  # noqa: E402
from miafeed.clock import utcnow  # noqa: E402
from miafeed.models import Article, Category  # noqa: E402
from miafeed.newsletter.sending import deliver_due  # noqa: E402
from miafeed.newsletter.digests import send_digests  # noqa: E402
from miafeed.newsletter.models import OutgoingMail, Subscriber, new_nonce  # noqa: E402


class CountingHandler:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def build_app(folder: Path):
    app = create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
         "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "MAIL_BACKGROUND_DELIVERY": False,
         "SITE_URL": "https://miafeed.example"},
        instance_path=str(folder),
    )
    with app.app_context():
        db.create_all()
    return app


def seed(app, subscribers: int) -> None:
    now = utcnow()
    with app.app_context():
        categories = [Category(name=name, slug=name.lower(), description="") for name in ("Sleep", "Nutrition", "Heart Health")]
        db.session.add_all(categories)
        for number in range(10):
            summary = "A plain-language summary of a new study, two sentences long. It says what was found and how sure we are."
            db.session.add(Article(
                slug=f"study-{number}", title=f"Study {number}: what the new research found", summary=summary,
                author="Bench", source_name="Research News", source_url="https://research.example/story",
                body_markdown="x", body_html="<p>x</p>", body_text="x", word_count=300, reading_minutes=2,
                published_at=now - timedelta(hours=number + 1), category=categories[number % 3],
            ))
        db.session.execute(db.insert(Subscriber), [
            {"email": f"reader{number:05d}@example.org", "frequency": "weekly", "status": "active",
             "created_at": now, "consent_version": "bench", "consent_source": "/", "token_nonce": new_nonce()}
            for number in range(subscribers)
        ])
        db.session.commit()


def reset_digests(app) -> None:
    with app.app_context():
        db.session.execute(db.delete(OutgoingMail))
        db.session.execute(db.update(Subscriber).values(last_digest_period=None, last_digest_at=None))
        db.session.commit()


def bench_compose(app, subscribers: int) -> None:
    with app.app_context():
        started = time.perf_counter()
        summary = send_digests("weekly")
        elapsed = time.perf_counter() - started
        size = db.session.scalar(db.select(db.func.avg(db.func.length(OutgoingMail.message))))
    print(f"compose+queue: {summary.sent} digests in {elapsed:.1f} s = {summary.sent / elapsed:,.0f} mails/s "
          f"(average message {size / 1024:.1f} KiB)")
    reset_digests(app)
    with app.app_context():
        tracemalloc.start()
        send_digests("weekly")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak Python memory while composing (tracemalloc): {peak / 2**20:.1f} MiB; process peak RSS {rss:.0f} MiB")


def bench_delivery(app, count: int) -> None:
    handler = CountingHandler()
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_BATCH_SIZE=100)
        with app.app_context():
            started, cpu_started = time.perf_counter(), time.process_time()
            report = deliver_due(app, limit=count)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        controller.stop()
    # CPU seconds too (ours and the in-process server's): on a shared machine
    # the wall clock mostly measures the neighbours.
    print(f"delivery to local aiosmtpd: {report.sent} mails in {elapsed:.1f} s = {report.sent / elapsed:,.0f} mails/s "
          f"(server counted {handler.count}); {cpu:.2f} CPU s = {report.sent / cpu:,.0f} mails per CPU second")


def bench_signup_timing(folder: Path, rounds: int, floor: float | None) -> None:
    app = build_app(folder / f"signup-{floor}")
    if floor is not None:
        app.config["SUBSCRIBE_MIN_ANSWER_SECONDS"] = floor
    client = app.test_client()
    with app.app_context():
        now = utcnow() - timedelta(hours=1)
        for status in ("pending", "active", "unsubscribed"):
            db.session.add_all(Subscriber(email=f"{status}{n}@example.org", status=status, frequency="weekly",
                                          consent_version="b", consent_source="/", last_notice_at=now)
                               for n in range(rounds))
        db.session.commit()
    timings = {status: [] for status in ("new", "pending", "active", "unsubscribed")}
    # Interleaved, so a slow moment on a shared machine hits every state alike.
    for n in range(rounds):
        for status, samples in timings.items():
            started = time.perf_counter()
            client.post("/newsletter/subscribe", data={"email": f"{status}{n}@example.org", "frequency": "weekly"},
                        headers={"HX-Request": "true"})
            samples.append((time.perf_counter() - started) * 1000)
    label = "default floor" if floor is None else f"floor {floor * 1000:.0f} ms"
    print(f"sign-up answer time, {label}, over {rounds} requests each (ms, median / 90th percentile):")
    for status, samples in timings.items():
        ordered = sorted(samples)
        print(f"  {status:13s} {statistics.median(ordered):6.2f} / {ordered[int(len(ordered) * 0.9)]:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--deliver", type=int, default=2_000, help="how many of the queued digests to deliver")
    parser.add_argument("--signup-rounds", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="miafeed-bench-") as tmp:
        folder = Path(tmp)
        app = build_app(folder)
        seed(app, args.subscribers)
        print(f"{args.subscribers:,} active weekly subscribers, 10 new articles in 3 categories")
        bench_compose(app, args.subscribers)
        bench_delivery(app, args.deliver)
        bench_signup_timing(folder, args.signup_rounds, 0.0)  # the work itself
        bench_signup_timing(folder, args.signup_rounds, None)  # what a reader sees


if __name__ == "__main__":
    main()
