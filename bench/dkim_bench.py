"""What DKIM signing in the app costs per mail: prints figures, asserts nothing.

Composes the same digest mail (10 articles) again and again, with signing
off and on (a 2048-bit RSA key made here), in alternating rounds, and prints
the median time per mail of each and their ratio. Signing happens when a
mail is composed, so this is the extra time `digest send` takes per reader.

    .venv/bin/python bench/dkim_bench.py [--mails 200] [--rounds 5]

Needs the `cryptography` package (test extra) to make the key.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from miafeed import create_app  # noqa: E402
from miafeed.extensions import db  # noqa: E402
from miafeed.clock import utcnow  # noqa: E402
from miafeed.newsletter.digests import DigestArticle, compose_digest  # noqa: E402
from miafeed.newsletter.models import Subscriber  # noqa: E402


def build_app(folder: Path, **extra):
    app = create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
         "MAIL_BACKGROUND_DELIVERY": False, "SITE_URL": "https://miafeed.example", **extra},
        instance_path=str(folder),
    )
    with app.app_context():
        db.create_all()
        db.session.add(Subscriber(email="reader@example.org", status="active", consent_version="b", consent_source="/"))
        db.session.commit()
    return app


def per_mail_seconds(app, mails: int) -> float:
    with app.app_context():
        reader = db.session.scalar(db.select(Subscriber))
        articles = [
            DigestArticle(f"Study number {n} about sleep and mood", "A two-sentence summary. " * 3,
                          f"https://miafeed.example/articles/study-{n}", "Sleep", utcnow())
            for n in range(10)
        ]
        groups = [("Sleep", articles)]
        started = time.perf_counter()
        for _ in range(mails):
            compose_digest(reader, "weekly", groups)
        return (time.perf_counter() - started) / mails


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file = folder / "dkim.pem"
        key_file.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
        (folder / "plain").mkdir()
        (folder / "signed").mkdir()
        plain = build_app(folder / "plain")
        signed = build_app(folder / "signed", DKIM_SELECTOR="bench", DKIM_DOMAIN="miafeed.example",
                           DKIM_PRIVATE_KEY_FILE=str(key_file))
        per_mail_seconds(plain, 20), per_mail_seconds(signed, 20)  # warm up templates and caches
        off, on = [], []
        for _ in range(args.rounds):  # alternating, so both see the same machine load
            off.append(per_mail_seconds(plain, args.mails))
            on.append(per_mail_seconds(signed, args.mails))
    off_ms, on_ms = statistics.median(off) * 1000, statistics.median(on) * 1000
    print(f"compose one digest mail, median of {args.rounds} rounds x {args.mails} mails:")
    print(f"  DKIM off: {off_ms:.2f} ms/mail ({1000 / off_ms:.0f} mails/s)")
    print(f"  DKIM on:  {on_ms:.2f} ms/mail ({1000 / on_ms:.0f} mails/s), RSA-2048, relaxed/relaxed")
    print(f"  ratio on/off: {on_ms / off_ms:.2f}x; 10,000 signed digests take about {on_ms * 10:.0f} s to compose")


if __name__ == "__main__":
    main()
