"""The evidence behind an article, in the terms a careful reader asks about:
who was studied, how big the effect was in absolute terms, the known harms,
cost where it matters, who paid and who declared an interest, and whether
our story rests on a press release.

These keys live in the `study:` mapping of front matter beside type, journal
and DOI. They come as a set: once any of them is given, the required ones
must all be there, each either said or written as "not reported" where the
study (or the report we read) does not say. An honest "not reported" is
allowed; a blank is not, so a missing answer is always a decision.

Like trust.py, nothing here raises: each problem is recorded with its key
(for example `study.absolute_effect`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

NOT_REPORTED = "not reported"
NONE_DECLARED = "none declared"
POPULATIONS = ("people", "animals", "cells")

REQUIRED_KEYS = ("studied_in", "participants", "absolute_effect", "harms", "funding", "conflicts", "press_release")
OPTIONAL_KEYS = ("animal", "studies", "who", "relative_effect", "cost")
EVIDENCE_KEYS = REQUIRED_KEYS + OPTIONAL_KEYS
TEXT_MAX_LENGTH = 400
_HAS_DIGIT = re.compile(r"\d")
# A count in words ("two dozen adults", "hundreds of patients") is a number too.
_GIVES_A_COUNT = re.compile(r"\d|\b(?:dozens?|hundreds?|thousands?|millions?)\b", re.I)
_RATIO = re.compile(r"\b(?:hazard|odds|risk|rate|incidence rate) ratios?\b", re.I)


@dataclass(frozen=True)
class StudyEvidence:
    """The validated evidence keys of one study. Text values are kept as
    written; NOT_REPORTED stands for "the study does not say"."""

    studied_in: str  # one of POPULATIONS
    animal: str | None  # which animal, when studied_in is "animals" ("mice")
    participants: int | None  # people or animals; None when not reported
    studies: int | None  # how many studies a review pooled, when it did
    who: str | None  # who they were, in a few plain words
    absolute_effect: str
    relative_effect: str | None
    harms: str
    cost: str | None
    funding: str
    conflicts: str
    press_release: bool | None  # None when it could not be confirmed


def gives_figures(text: str | None) -> bool:
    """Whether `text` gives a number, in figures or words (then the study box
    says it, never "not reported")."""
    return bool(text and _GIVES_A_COUNT.search(text))


def names_a_ratio(text: str | None) -> bool:
    """Whether `text` quotes a hazard, odds or risk ratio (the box explains one)."""
    return bool(text and _RATIO.search(text))


def has_evidence(study: dict) -> bool:
    """Whether a study mapping gives any of the evidence keys."""
    return any(key in study for key in EVIDENCE_KEYS)


def parse_evidence(study: dict, problem) -> StudyEvidence | None:
    """Validate the evidence keys of a `study:` mapping; `problem(key, message)`
    records each mistake under `study.<key>`. None when any is wrong."""
    found: list[str] = []  # keys with a problem; any of them means no StudyEvidence

    def bad(key, message):
        found.append(key)
        problem(f"study.{key}", message)

    for key in REQUIRED_KEYS:
        if study.get(key) is None:
            bad(key, f"is missing: say it, or write \"{NOT_REPORTED}\" where the study does not say"
                     f" (the evidence keys come as a set: {', '.join(REQUIRED_KEYS)})")

    studied_in = study.get("studied_in")
    if studied_in is not None and (not isinstance(studied_in, str) or studied_in.strip().lower() not in POPULATIONS):
        bad("studied_in", f"{studied_in!r} must be one of: {', '.join(POPULATIONS)}")
    studied_in = studied_in.strip().lower() if isinstance(studied_in, str) else None
    animal = _text(study, "animal", bad, allow_not_reported=False)
    if studied_in == "animals" and animal is None and "animal" not in found:
        bad("animal", "is missing: name the animal, in the plural (\"mice\"), so cards can say \"Studied in mice\"")
    if animal is not None and studied_in != "animals":
        bad("animal", "is only for studies in animals (studied_in: animals)")

    participants = _count(study, "participants", bad, allow_not_reported=True)
    studies = _count(study, "studies", bad, allow_not_reported=False)
    who = _text(study, "who", bad, allow_not_reported=False)
    absolute_effect = _text(study, "absolute_effect", bad, figures=True)
    relative_effect = _text(study, "relative_effect", bad, figures=True)
    harms = _text(study, "harms", bad)
    cost = _text(study, "cost", bad)
    funding = _text(study, "funding", bad)
    conflicts = _text(study, "conflicts", bad)

    press_release = study.get("press_release")
    if isinstance(press_release, str) and press_release.strip().lower() == NOT_REPORTED:
        press_release = None
    elif press_release is not None and not isinstance(press_release, bool):
        bad("press_release", f"{press_release!r} must be true, false or \"{NOT_REPORTED}\"")

    if found:
        return None
    return StudyEvidence(studied_in, animal, participants, studies, who, absolute_effect, relative_effect,
                         harms, cost, funding, conflicts, press_release)


def _text(study, key, bad, allow_not_reported=True, figures=False):
    value = study.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > TEXT_MAX_LENGTH:
        bad(key, f"must be text of 1 to {TEXT_MAX_LENGTH} characters")
        return None
    value = " ".join(value.split())
    if value.lower() == NOT_REPORTED:
        if not allow_not_reported:
            bad(key, "leave it out instead of writing \"not reported\"")
            return None
        return NOT_REPORTED
    if figures and not _HAS_DIGIT.search(value):
        bad(key, f"{value!r} gives no figures: write them (for example \"12 in 100 versus 9 in 100\") or \"{NOT_REPORTED}\"")
        return None
    return value


def _count(study, key, bad, allow_not_reported):
    value = study.get(key)
    if value is None:
        return None
    if allow_not_reported and isinstance(value, str) and value.strip().lower() == NOT_REPORTED:
        return None
    if isinstance(value, str) and value.strip().replace(",", "").isdigit():
        value = int(value.strip().replace(",", ""))
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        extra = f", or \"{NOT_REPORTED}\"" if allow_not_reported else ""
        bad(key, f"{value!r} must be a whole number like 140{extra}")
        return None
    return value

