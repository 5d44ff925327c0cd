"""The mail delivery thread of a gunicorn worker.

The work is split by job: transports.py sends one mail (SMTP or the outbox
folder), mail_queue.py keeps the queue's books (claims and their fencing,
each mail's outcome, retries), sending.py drains claimed batches, and
mail_health.py says whether mail is going out (backlog, relay pause). This
module runs sending.deliver_due in a thread; callers import the other
names from the module that owns them.
"""
from __future__ import annotations

import logging

from ..background import BackgroundLoop
from .mail import mail_queued
from .sending import deliver_due


class BackgroundDelivery(BackgroundLoop):
    """A daemon thread that drains the queue in one gunicorn worker.

    It makes a pass as soon as it starts (after a reload, a new worker picks
    up the mail the old one gave back without waiting a poll), then wakes
    when this process queues mail (mail.mail_queued) and otherwise every
    MAIL_POLL_SECONDS, to pick up mail queued by other workers or cron.
    serving/worker_services.py stops it when the worker exits: stop() finishes the
    mail in flight and gives back the rest of the claim. If the thread does
    not end in time (a mail server that hangs mid-send), the claim's lease
    brings the mails back about a minute after the process is gone.
    """

    STOP_SECONDS = 10

    def __init__(self, app):
        super().__init__(app, name="miafeed-mail-delivery", interval=float(app.config["MAIL_POLL_SECONDS"]),
                         wake=mail_queued, failure="Background mail delivery failed; will try again",
                         pass_at_start=True)

    def one_pass(self) -> None:
        report = deliver_due(self.app, should_stop=self.stopping.is_set)
        if report.sent or report.retrying or report.failed:
            # Counts only: the operator's log says mail went out, never to whom.
            logging.getLogger(__name__).info("Mail delivery: %d sent, %d to retry, %d failed for good",
                                             report.sent, report.retrying, report.failed)


def start_background_delivery(app) -> BackgroundDelivery | None:
    """Start the delivery thread unless MAIL_BACKGROUND_DELIVERY is off."""
    if not app.config.get("MAIL_BACKGROUND_DELIVERY"):
        return None
    return BackgroundDelivery(app).start()
