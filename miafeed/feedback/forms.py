"""The two feedback forms: a yes/no answer and a short problem report."""
from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from ..newsletter.forms import CookielessForm
from .store import MAX_TEXT_LENGTH

ANSWERS = {"yes": True, "no": False}


class HelpfulForm(CookielessForm):
    """"Was this page helpful?": the Yes or No button that was pressed."""

    answer = StringField("Was this page helpful?")

    def validate_answer(self, field) -> None:
        if (field.data or "") not in ANSWERS:
            raise ValidationError("Choose Yes or No to answer “Was this page helpful?”.")

    @property
    def helpful(self) -> bool:
        return ANSWERS[self.answer.data]


class BoundedTextArea(TextAreaField):
    """A text area that echoes back no more than the limit, so a too-long
    post is not sent back whole in the page that refuses it."""

    def _value(self) -> str:
        return super()._value()[:MAX_TEXT_LENGTH]


def _without_control_characters(value: str | None) -> str:
    # Line breaks and tabs are text; other control characters (NUL, which
    # PostgreSQL cannot store, among them) are never typed by a person.
    return "".join(char for char in (value or "") if char in "\n\t" or (ord(char) >= 32 and ord(char) != 127)).strip()


class ProblemForm(CookielessForm):
    """"Report a problem": optional text, at most MAX_TEXT_LENGTH characters."""

    text = BoundedTextArea("What is wrong on this page? (optional)", filters=[_without_control_characters])

    def validate_text(self, field) -> None:
        length = len(field.data or "")
        if length > MAX_TEXT_LENGTH:
            raise ValidationError(
                f"Your note is {length} characters long; the limit is {MAX_TEXT_LENGTH}. Shorten it and send it again."
            )
