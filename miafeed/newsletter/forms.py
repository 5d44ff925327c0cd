"""Flask-WTF forms for the sign-up box and the preferences page."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, SelectMultipleField, StringField
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


class FrequencyField(RadioField):
    """Radio buttons for daily/weekly/monthly with an error a reader understands."""

    def pre_validate(self, form) -> None:
        """Refuse anything but daily, weekly or monthly."""
        if self.data not in FREQUENCIES:
            raise ValidationError("Choose daily, weekly or monthly.")


class SubscribeForm(FlaskForm):
    """Email, frequency, honeypot and source page; CSRF comes from FlaskForm."""

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


class PreferencesForm(FlaskForm):
    """Frequency and topics on the preferences page; the buttons say what to do."""

    frequency = FrequencyField("How often would you like updates?", choices=FREQUENCY_CHOICES)
    topics = TopicsField("Topics in your digest", coerce=int)


class ButtonForm(FlaskForm):
    """A form that is only a CSRF token and a button (confirm, unsubscribe)."""
