"""Flask-WTF forms for the sign-up box and the preferences page."""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from .frequencies import DEFAULT, FREQUENCIES, TABLE, in_words

# An RFC 2047 encoded-word: =?charset?B-or-Q?text?=
ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bq]\?[^?\s]*\?=", re.IGNORECASE)

FREQUENCY_CHOICES = [SelectChoice(frequency.name, frequency.label) for frequency in TABLE]


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
    if ENCODED_WORD.search(raw):
        # RFC 2047 (section 5) forbids encoded-words in an addr-spec. A mail
        # program that decodes one anyway could show, or even send to, an
        # address other than the one that was checked and stored.
        raise ValueError("Enter the address itself: encoded text like =?utf-8?b?...?= is not part of an email address.")
    try:
        # ASCII only (internationalized domains become punycode): every mail
        # server accepts it, and the To header needs no SMTPUTF8.
        checked = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Enter a valid email address. {exc}") from None
    return checked.ascii_email.lower()


def safe_local_path(value: str | None) -> str | None:
    """`value` when it is a path on this site ("/articles/x?page=2"), else None.

    Refuses anything a browser could read as another site: "//host",
    "/\\host", a scheme, control characters or spaces.
    """
    if not value or len(value) > 300 or not value.startswith("/") or value[1:2] in ("/", "\\"):
        return None
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 or char == "\\" for char in value):
        return None
    return value


def _source_page(value: str | None) -> str:
    # Only a local path is kept as "the page the consent came from".
    path = safe_local_path(value)
    if path:
        # The form on a link page would otherwise record the link's token.
        return "/newsletter" if path.startswith("/newsletter/") else path
    return "/"


class BoundedEcho:
    """A text field that shows back at most `echo_limit` characters.

    A form with errors is sent back with what the reader typed, so without
    this a 16 KB "address" would come back as 16 KB of HTML. The limit is the
    field's own maximum, so nothing a person could have typed is cut.
    """

    echo_limit = 320

    def _value(self) -> str:
        return super()._value()[: self.echo_limit]


class BoundedEmailField(BoundedEcho, EmailField):
    """The email input, echoed back at most 320 characters long."""


class BoundedStringField(BoundedEcho, StringField):
    """The honeypot, echoed back at most 320 characters long."""


class BoundedHiddenField(BoundedEcho, HiddenField):
    """The source page, echoed back at most 300 characters long (what is stored)."""

    echo_limit = 300


class FrequencyField(RadioField):
    """Radio buttons for the frequencies (frequencies.py) with an error a reader understands."""

    def pre_validate(self, form) -> None:
        """Refuse anything but one of the frequencies."""
        if self.data not in FREQUENCIES:
            raise ValidationError(f"Choose {in_words()}.")


class CookielessForm(FlaskForm):
    """Flask-WTF's form without its session-bound CSRF token, whatever the
    config says: security.py's cross-origin guard protects every POST, and a
    token would put a cookie on every reader (see docs/dependencies.md)."""

    class Meta:
        csrf = False


class SubscribeForm(CookielessForm):
    """Email, frequency, honeypot and source page."""

    email = BoundedEmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=320, message="That address is too long.")],
        render_kw={"autocomplete": "email", "placeholder": "you@example.com"},
    )
    frequency = FrequencyField("How often would you like updates?", choices=FREQUENCY_CHOICES, default=DEFAULT)
    # The honeypot: hidden from people (CSS and aria-hidden), filled by bots.
    website = BoundedStringField("Leave this field empty", render_kw={"autocomplete": "off", "tabindex": "-1"})
    source = BoundedHiddenField()

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

    @property
    def back_path(self) -> str | None:
        """Where the no-JavaScript answer page links back to: the page the
        form was on, when that is a safe path on this site and not a
        personal link page."""
        path = safe_local_path(self.source.data)
        if path and not path.startswith("/newsletter"):
            return path
        return None


class TopicsField(SelectMultipleField):
    """Checkboxes for the categories a digest covers; at least one."""

    def pre_validate(self, form) -> None:
        """Refuse an empty choice or a category that does not exist."""
        if not self.choices:  # a site with no categories yet: nothing to choose
            return
        if not self.data:
            raise ValidationError("Choose at least one topic. To get no mail at all, unsubscribe below.")
        offered = {value for value, _ in self.choices}
        if any(value not in offered for value in self.data):
            raise ValidationError("One of the topics no longer exists. Choose from the list and save again.")

    def process_formdata(self, valuelist) -> None:
        """Keep only whole numbers; anything else counts as an unknown topic."""
        self.data = [int(value) if value.isdigit() else -1 for value in valuelist]


class PreferencesForm(CookielessForm):
    """Frequency and topics on the preferences page; the buttons say what to do."""

    frequency = FrequencyField("How often would you like updates?", choices=FREQUENCY_CHOICES)
    topics = TopicsField("Topics in your digest", coerce=int)


class ButtonForm(CookielessForm):
    """A form that is only a button (confirm, unsubscribe)."""
