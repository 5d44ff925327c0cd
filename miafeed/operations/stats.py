"""`flask stats`: the site at a glance, for the operator.

Counts only: articles by category and state, medical reviews overdue or
due soon, subscribers by status and
frequency, recent sign-ups and confirmations, the mail queue, the last
digest of each frequency and the search index. No email address is ever
printed (the output ends up in terminals, logs and chat messages).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import case, func, select

from ..extensions import db
from ..content.review import count_reviews_due
from ..hosts import hosts_report
from ..clock import utcnow
from ..models import Article, Category, category_order
from ..newsletter import models as newsletter
from ..newsletter.frequencies import FREQUENCIES
from ..newsletter.models import OutgoingMail, Subscriber

# Rows of the subscriber table, in this order. A status found in the
# database but missing here (a new one) is listed after these anyway.
SUBSCRIBER_STATUSES = (newsletter.PENDING, newsletter.ACTIVE, newsletter.UNSUBSCRIBED)
ARTICLE_STATES = ("published", "scheduled", "draft")
SIGNUP_WINDOWS_DAYS = (7, 30)
# Reviews falling due this soon are counted beside the overdue ones.
REVIEW_SOON_DAYS = 30


@dataclass
class SiteStats:
    """Everything `flask stats` shows, as plain data (also its --json form)."""

    articles: dict[str, dict[str, int]] = field(default_factory=dict)  # category -> state -> count
    subscribers: dict[str, dict[str, int]] = field(default_factory=dict)  # status -> frequency -> count
    signups: dict[str, dict[str, int]] = field(default_factory=dict)  # "sign-ups"/"confirmations" -> "7d" -> n
    mail: dict[str, int] = field(default_factory=dict)
    mail_relay: dict | None = None  # set while delivery is paused for a refusing relay
    hygiene: dict[str, object] = field(default_factory=dict)  # bounced readers, complaints, complaint rate
    last_digest: dict[str, str | None] = field(default_factory=dict)  # frequency -> "period at time"
    search: dict[str, object] = field(default_factory=dict)
    reviews: dict[str, int] = field(default_factory=dict)  # "overdue" / "due within N days" -> count
    hosts: dict[str, object] = field(default_factory=dict)  # see hosts.hosts_report


def collect(now: datetime | None = None) -> SiteStats:
    """Count everything, in a handful of grouped queries."""
    now = now or utcnow()
    return SiteStats(
        articles=_articles(now),
        subscribers=_subscribers(),
        signups=_signups(now),
        mail=_mail(now),
        mail_relay=_mail_relay(),
        hygiene=_hygiene(now),
        last_digest=_last_digests(),
        search=_search(),
        reviews=count_reviews_due(REVIEW_SOON_DAYS, now.date()),
        hosts=hosts_report(now),
    )


def _articles(now: datetime) -> dict[str, dict[str, int]]:
    state = case(
        (Article.draft.is_(True), "draft"), (Article.published_at > now, "scheduled"), else_="published"
    )
    # The state is computed in a subquery and grouped on as a column: PostgreSQL
    # would not match a CASE in GROUP BY to the one in SELECT (their bound
    # parameters differ).
    states = select(Article.category_id, state.label("state")).subquery()
    rows = db.session.execute(
        select(Category.name, states.c.state, func.count(states.c.state))
        .select_from(Category)
        .outerjoin(states, states.c.category_id == Category.id)
        .group_by(Category.id, Category.name, Category.position, states.c.state)
        .order_by(*category_order())
    ).all()
    table: dict[str, dict[str, int]] = {}
    for category, article_state, count in rows:
        counts = table.setdefault(category, dict.fromkeys(ARTICLE_STATES, 0))
        if count:  # an empty category comes back once, with no state and a count of 0
            counts[article_state] += count
    return table


def _subscribers() -> dict[str, dict[str, int]]:
    rows = db.session.execute(
        select(Subscriber.status, Subscriber.frequency, func.count(Subscriber.id))
        .group_by(Subscriber.status, Subscriber.frequency)
    ).all()
    statuses = list(SUBSCRIBER_STATUSES) + sorted({status for status, _, _ in rows} - set(SUBSCRIBER_STATUSES))
    table = {status: dict.fromkeys(FREQUENCIES, 0) for status in statuses}
    for status, frequency, count in rows:
        table[status][frequency] = table[status].get(frequency, 0) + count
    return table


def _signups(now: datetime) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {"sign-ups": {}, "confirmations": {}}
    for days in SIGNUP_WINDOWS_DAYS:
        since = now - timedelta(days=days)
        signed_up, confirmed = db.session.execute(
            select(
                func.count(case((Subscriber.created_at >= since, 1))),
                func.count(case((Subscriber.confirmed_at >= since, 1))),
            )
        ).one()
        result["sign-ups"][f"{days}d"] = signed_up
        result["confirmations"][f"{days}d"] = confirmed
    return result


def _mail(now: datetime) -> dict[str, int]:
    """The queue now (waiting, being retried, being sent) and the last day's outcomes."""
    day_ago = now - timedelta(days=1)
    queued, retrying, sending, sent, failed = db.session.execute(
        select(
            func.count(case(((OutgoingMail.status == newsletter.QUEUED) & (OutgoingMail.attempts == 0), 1))),
            func.count(case(((OutgoingMail.status == newsletter.QUEUED) & (OutgoingMail.attempts > 0), 1))),
            func.count(case((OutgoingMail.status == newsletter.SENDING, 1))),
            func.count(case(((OutgoingMail.status == newsletter.SENT) & (OutgoingMail.sent_at >= day_ago), 1))),
            # A failed mail's last attempt is its last claim.
            func.count(case(((OutgoingMail.status == newsletter.FAILED) & (OutgoingMail.claimed_at >= day_ago), 1))),
        )
    ).one()
    return {"queued": queued, "retrying": retrying, "sending": sending, "sent (24 h)": sent, "failed (24 h)": failed}


def _hygiene(now: datetime) -> dict[str, object]:
    """The list's health as mail providers judge it: readers stopped for
    bounces, complaints (all time and the last 30 days, when sent mail is
    still on record), and the complaint rate against mail sent in that time."""
    month_ago = now - timedelta(days=30)
    bounced, complaints, recent = db.session.execute(
        select(
            func.count(case((Subscriber.status == newsletter.BOUNCED, 1))),
            func.count(Subscriber.complained_at),
            func.count(case((Subscriber.complained_at >= month_ago, 1))),
        )
    ).one()
    sent = db.session.scalar(
        select(func.count(OutgoingMail.id)).where(OutgoingMail.status == newsletter.SENT, OutgoingMail.sent_at >= month_ago)
    )
    rate = f"{100 * recent / sent:.2f} %" if sent else "n/a"
    return {"bounced": bounced, "complaints": complaints, "complaints (30 d)": recent,
            "complaint rate (30 d)": rate}


def _mail_relay() -> dict | None:
    from ..newsletter import mail_health

    return mail_health.relay_report(mail_health.current_pause())


def _last_digests() -> dict[str, str | None]:
    """Per frequency, the newest digest period sent and when (from the subscribers' marks)."""
    result: dict[str, str | None] = {}
    for frequency in FREQUENCIES:
        period, at = db.session.execute(
            select(Subscriber.last_digest_period, Subscriber.last_digest_at)
            .where(Subscriber.last_digest_period.like(f"{frequency}:%"))
            .order_by(Subscriber.last_digest_at.desc())
            .limit(1)
        ).one_or_none() or (None, None)
        result[frequency] = f"{period.split(':', 1)[1]}, at {at:%Y-%m-%d %H:%M} UTC" if period else None
    return result


def _search() -> dict[str, object]:
    from ..search import indexing, store
    from ..search.health import search_health

    state = search_health()
    info: dict[str, object] = {"state": state}
    if state == "ok":
        try:
            with store.open_current(store.search_root()).searcher() as searcher:
                info["documents"] = searcher.doc_count()
        except store.IndexMissing:
            info["documents"] = 0  # an empty site has no index, and needs none
        info["current"] = indexing.index_is_current()
    return info


def render(stats: SiteStats) -> str:
    """The stats as small aligned text tables."""
    blocks = []
    totals = {state: sum(row[state] for row in stats.articles.values()) for state in ARTICLE_STATES}
    blocks.append(_table("Articles", ARTICLE_STATES,
                         [(name, *row.values()) for name, row in stats.articles.items()] + [("all", *totals.values())]))
    blocks.append(_table("Subscribers", (*FREQUENCIES, "all"),
                         [(status, *row.values(), sum(row.values())) for status, row in stats.subscribers.items()]))
    blocks.append(_table("New subscribers", tuple(f"last {days} days" for days in SIGNUP_WINDOWS_DAYS),
                         [(what, *row.values()) for what, row in stats.signups.items()]))
    blocks.append(_table("Medical reviews", ("articles",), list(stats.reviews.items())))
    blocks.append(_table("Mail", ("count",), list(stats.mail.items())))
    if stats.mail_relay:
        relay = stats.mail_relay
        blocks.append(f"Mail delivery: PAUSED since {relay['since']}: the mail server refuses every mail "
                      f"({relay['reply']}); not counted as bounces. Next try at {relay['retry_at']}.")
    blocks.append(_table("List hygiene", ("count",), [(name, str(value)) for name, value in stats.hygiene.items()]))
    blocks.append(_table("Last digest", ("period, sent",),
                         [(frequency, value or "never") for frequency, value in stats.last_digest.items()]))
    search = stats.search
    if search["state"] != "ok":
        line = f"Search index: {search['state']}"
    else:
        behind = "" if search.get("current") else "; behind the database: run `flask --app wsgi search ensure`"
        line = f"Search index: ok, {search['documents']} articles indexed{behind}"
    blocks.append(line)
    blocks.append(_hosts_block(stats.hosts))
    return "\n\n".join(blocks)


def _hosts_block(hosts: dict) -> str:
    """Each host heard from lately and its code version; a warning when they differ."""
    rows = [(h["name"], h["version"], h["seen"]) for h in hosts["running"]]
    rows += [(h["name"], h["version"], f"silent since {h['seen']}") for h in hosts["stale"]]
    text = _table("Hosts", ("version", "heard from"), rows) if rows else "Hosts: none has reported yet (each host's search follower reports every 30 s)"
    if len(hosts["versions"]) > 1:
        text += f"\nWarning: hosts run {len(hosts['versions'])} different versions ({', '.join(hosts['versions'])}); finish the deploy."
    return text + f"\nThis command's code: {hosts['this_code']}"


def _table(title: str, headers: tuple[str, ...], rows: list[tuple]) -> str:
    """Title and headers on the first line, then one indented line per row, numbers right-aligned."""
    labels = [title] + ["  " + str(row[0]) for row in rows]
    cells = [list(headers)] + [[str(value) for value in row[1:]] for row in rows]
    label_width = max(map(len, labels))
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        (label.ljust(label_width) + "".join("  " + _align(value, width) for value, width in zip(row, widths))).rstrip()
        for label, row in zip(labels, cells)
    )


def _align(value: str, width: int) -> str:
    return value.rjust(width) if value.isdigit() else value.ljust(width)


@click.command("stats")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON, for monitoring.")
def stats_command(as_json: bool) -> None:
    """Articles, subscribers, mail, digests and search at a glance (no addresses)."""
    stats = collect()
    click.echo(json.dumps(asdict(stats), indent=2) if as_json else render(stats))


def init_app(app) -> None:
    """Register `flask stats`."""
    app.cli.add_command(stats_command)
