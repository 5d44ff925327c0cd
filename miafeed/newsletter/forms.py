"""Flask-WTF forms for the sign-up box and the preferences page."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from .models import FREQUENCIES

FREQUENCY_CHOICES = [SelectChoice(value, value.capitalize()) for value in FREQUENCIES]


def normalize_email(raw: str) -> str:
    """The address in the one form it is stored in, or ValueError with a
    message for the reader.

    email-validator checks syntax only (no DNS on the request path); its
    normalized form is then lower-cased so case variants are one address.
    Line breaks are refused before anything else: they are how header
    injection starts.
    """
    if any(char in raw for char in "\r\n\0"):
        raise ValueError("Enter an email address without line breaks.")
    try:
        # ASCII only (internationalized domains become punycode): every mail
        # server accepts it, and the To header needs no SMTPUTF8.
        checked = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Enter a valid email address. {exc}") from None
    return checked.ascii_email.lower()


def _source_page(value: str | None) -> str:
    # Only a local path is kept as "the page the consent came from".
    if value and value.startswith("/") and not value.startswith("//") and len(value) <= 300:
        # The form on a link page would otherwise record the link's token.
        return "/newsletter" if value.startswith("/newsletter/") else value
    return "/"


class FrequencyField(RadioField):
    """Radio buttons for daily/weekly/monthly with an error a reader understands."""

    def pre_validate(self, form) -> None:
        """Refuse anything but daily, weekly or monthly."""
        if self.data not in FREQUENCIES:
            raise ValidationError("Choose daily, weekly or monthly.")


class CookielessForm(FlaskForm):
    """Flask-WTF's form without its session-bound CSRF token, whatever the
    config says: security.py's cross-origin guard protects every POST, and a
    token would put a cookie on every reader (see README, Dependency notes)."""

    class Meta:
        csrf = False


class SubscribeForm(CookielessForm):
    """Email, frequency, honeypot and source page."""

    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=320, message="That address is too long.")],
        render_kw={"autocomplete": "email", "placeholder": "you@example.com"},
    )
    frequency = FrequencyField("How often would you like updates?", choices=FREQUENCY_CHOICES, default="weekly")
    # The honeypot: hidden from people (CSS and aria-hidden), filled by bots.
    website = StringField("Leave this field empty", render_kw={"autocomplete": "off", "tabindex": "-1"})
    source = HiddenField()

    def validate_email(self, field) -> None:
        """Normalize the address, or explain beside the field what is wrong."""
        try:
            field.data = normalize_email(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @property
    def is_bot(self) -> bool:
        """True when the honeypot was filled in."""
        return bool((self.website.data or "").strip())

    @property
    def source_page(self) -> str:
        """The local page the form was sent from, for the consent record."""
        return _source_page(self.source.data)


class PreferencesForm(CookielessForm):
    """Frequency on the preferences page; the buttons say what to do."""

    frequency = FrequencyField("How often would you like updates?", choices=FREQUENCY_CHOICES)


class ButtonForm(CookielessForm):
    """A form that is only a button (confirm, unsubscribe)."""
