"""The trust fields of an article's front matter: reviewer, review dates, the
study it reports (with its evidence, see evidence.py), key points and corrections.

Like the rest of parse.py, nothing here raises for a bad value: each problem
is appended with the key it belongs to (for example `study.doi`), so an
editor sees every mistake of a file at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from .evidence import EVIDENCE_KEYS, StudyEvidence, has_evidence, parse_evidence

TRUST_KEYS = frozenset({"reviewed_by", "last_reviewed", "next_review", "study", "key_points", "corrections"})
STUDY_KEYS = ("type", "title", "journal", "year", "doi", "url") + EVIDENCE_KEYS
MIN_KEY_POINTS, MAX_KEY_POINTS = 2, 4
KEY_POINT_MAX_LENGTH = 200
CORRECTION_MAX_LENGTH = 600

# A DOI is "10." + a registrant code of digits (dots allowed) + "/" + a suffix
# without spaces (the DOI Handbook's syntax); we also accept the common
# written forms "doi:10...." and "https://doi.org/10...." and store it bare.
DOI_PATTERN = re.compile(r"^10\.\d{4,9}(\.\d+)*/\S+$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")


@dataclass(frozen=True)
class StudyType:
    """How a kind of study is named in front matter, on the page and on a card."""

    key: str
    plain_name: str  # "The study" box: what kind of study it was
    label: str  # cards and search results: one or two words
    explanation: str  # one sentence on what such a study can and cannot show


STUDY_TYPES: dict[str, StudyType] = {
    study.key: study
    for study in (
        StudyType("randomised trial", "Randomised controlled trial", "Trial",
                  "People were put into groups by chance, the fairest way to test whether a treatment or habit itself makes the difference."),
        StudyType("non-randomised trial", "Trial without random groups", "Small trial",
                  "People tried a treatment, but were not put into groups by chance, so other differences between them may explain part of the result."),
        StudyType("systematic review", "Systematic review", "Review",
                  "The researchers searched for every suitable study on the question and weighed them together."),
        StudyType("meta-analysis", "Systematic review and meta-analysis", "Review",
                  "The researchers gathered the suitable studies on the question and pooled their results into one estimate."),
        StudyType("umbrella review", "Umbrella review (a review of reviews)", "Review",
                  "The researchers brought together earlier reviews and meta-analyses and graded how strong each finding is."),
        StudyType("narrative review", "Narrative review (experts summarise the evidence)", "Expert review",
                  "Experts brought together earlier studies in their own words, without the fixed search and scoring rules of a systematic review."),
        StudyType("cohort study", "Cohort study (observational)", "Observational",
                  "A large group of people was followed over time; it shows that two things go together, not that one causes the other."),
        StudyType("observational study", "Observational study", "Observational",
                  "The researchers watched what happened without changing anything; it shows links, not proof of cause."),
        StudyType("case-control study", "Case-control study (observational)", "Observational",
                  "People with a condition were compared with similar people without it, looking back at what differed; it shows links, not cause."),
        StudyType("cross-sectional study", "Cross-sectional study (observational)", "Observational",
                  "A snapshot of many people at one moment; it cannot tell which came first."),
        StudyType("mendelian randomisation", "Mendelian randomisation study", "Genetic study",
                  "Genes people are born with stand in for a habit or trait, a natural experiment that is less open to confounding but rests on strong assumptions."),
        StudyType("lab study", "Laboratory study", "Lab study",
                  "Done on cells, tissue or a small group in the lab; an early step that needs confirming in real life."),
        StudyType("animal study", "Animal study", "Animal study",
                  "Done in animals; results often do not carry over to people."),
        StudyType("modelling study", "Modelling study", "Modelling",
                  "Estimates from a computer model built on earlier data; only as good as its assumptions."),
    )
}
# The MEDLINE publication type for each kind of study (the vocabulary that
# schema.org's MedicalScholarlyArticle.publicationType points to; its terms
# keep their US spelling). Kinds MEDLINE has no term for are "Journal Article".
PUBLICATION_TYPES = {
    "randomised trial": "Randomized Controlled Trial",
    "non-randomised trial": "Clinical Trial",
    "systematic review": "Systematic Review",
    "meta-analysis": "Meta-Analysis",
    "umbrella review": "Systematic Review",
    "narrative review": "Review",
    "cohort study": "Observational Study",
    "observational study": "Observational Study",
    "case-control study": "Observational Study",
    "cross-sectional study": "Observational Study",
    "mendelian randomisation": "Observational Study",
}

# Spellings an editor may reach for, mapped to the key above.
STUDY_TYPE_ALIASES = {
    "randomized trial": "randomised trial",
    "randomised controlled trial": "randomised trial",
    "randomized controlled trial": "randomised trial",
    "rct": "randomised trial",
    "non-randomized trial": "non-randomised trial",
    "systematic review and meta-analysis": "meta-analysis",
    "observational": "observational study",
    "cohort": "cohort study",
    "mendelian randomization": "mendelian randomisation",
}


def doi_url(doi: str) -> str:
    """The resolver address of a DOI, with characters a URL cannot hold escaped."""
    return "https://doi.org/" + quote(doi, safe="/:;()._-")


@dataclass(frozen=True)
class StudySource:
    """The research an article reports, as validated from front matter."""

    type: str
    title: str | None
    journal: str
    year: int
    doi: str | None
    url: str | None
    evidence: StudyEvidence | None = None


@dataclass(frozen=True)
class CorrectionSource:
    """One dated correction note."""

    dated: date
    note: str


@dataclass
class TrustFields:
    """The validated trust fields of one article (all optional)."""

    reviewed_by: str | None = None
    last_reviewed: date | None = None
    next_review: date | None = None  # None: the policy default (review.py)
    study: StudySource | None = None
    key_points: tuple[str, ...] = ()
    corrections: tuple[CorrectionSource, ...] = ()


def to_date(value) -> date | None:
    """A YAML date (kept as text by our loader) or a date as a date, else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def normalise_doi(value: str) -> str:
    """'doi:10.1/x' or 'https://doi.org/10.1/x' -> '10.1/x'."""
    value = value.strip()
    for prefix in _DOI_PREFIXES:
        if value.lower().startswith(prefix):
            return value[len(prefix):].strip()
    return value


def parse_trust_fields(meta: dict, add_problem, published: datetime | None, is_http_url) -> TrustFields:
    """Validate the trust keys of `meta`; `add_problem(key, message)` records each mistake."""
    fields = TrustFields()

    reviewer = meta.get("reviewed_by")
    if reviewer is not None:
        if isinstance(reviewer, str) and reviewer.strip():
            fields.reviewed_by = reviewer.strip()
        else:
            add_problem("reviewed_by", "must be the slug or name of a person in authors.yml")
    if meta.get("last_reviewed") is not None:
        fields.last_reviewed = to_date(meta["last_reviewed"])
        if fields.last_reviewed is None:
            add_problem("last_reviewed", f"{meta['last_reviewed']!r} is not a date like 2026-03-14")
    # A review date without a reviewer (or the reverse) would tell readers half a story.
    if fields.reviewed_by and "last_reviewed" not in meta:
        add_problem("last_reviewed", "is missing: give the date of the review named in reviewed_by")
    if "last_reviewed" in meta and reviewer is None:
        add_problem("reviewed_by", "is missing: name who did the review dated in last_reviewed")
    if meta.get("next_review") is not None:
        fields.next_review = to_date(meta["next_review"])
        if fields.next_review is None:
            add_problem("next_review", f"{meta['next_review']!r} is not a date like 2026-03-14")
        elif "last_reviewed" not in meta:
            add_problem("next_review", "needs last_reviewed: a next review follows a review")
        elif fields.last_reviewed and fields.next_review < fields.last_reviewed:
            add_problem("next_review", f"is before last_reviewed ({fields.last_reviewed.isoformat()}): the next review comes after the last one")

    if meta.get("study") is not None:
        fields.study = _study(meta["study"], add_problem, published, is_http_url)
    if meta.get("key_points") is not None:
        fields.key_points = _key_points(meta["key_points"], add_problem)
    if meta.get("corrections") is not None:
        fields.corrections = _corrections(meta["corrections"], add_problem, published)
    return fields


def _study(value, add_problem, published, is_http_url) -> StudySource | None:
    if not isinstance(value, dict):
        add_problem("study", "must be a mapping with type, journal, year and a doi or url")
        return None
    found: list[str] = []  # the study's own problems; any of them means no StudySource

    def problem(key, message):
        found.append(key)
        add_problem(key, message)

    for key in sorted(set(map(str, value)) - set(STUDY_KEYS)):
        problem(f"study.{key}", f"is not a known key (known: {', '.join(STUDY_KEYS)})")
    evidence = parse_evidence(value, problem) if has_evidence(value) else None

    raw_type = value.get("type")
    study_type = None
    if not isinstance(raw_type, str) or not raw_type.strip():
        problem("study.type", f"is missing; one of: {', '.join(STUDY_TYPES)}")
    else:
        wanted = raw_type.strip().lower()
        study_type = STUDY_TYPE_ALIASES.get(wanted, wanted)
        if study_type not in STUDY_TYPES:
            problem("study.type", f"{raw_type!r} is not a study type we know; use one of: {', '.join(STUDY_TYPES)}")

    texts = {}
    for key, limit, required in (("journal", 200, True), ("title", 400, False)):
        item = value.get(key)
        if item is None:
            if required:
                problem(f"study.{key}", "is missing (the journal, or where the study was presented)")
            continue
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > limit:
            problem(f"study.{key}", f"must be text of 1 to {limit} characters")
            continue
        texts[key] = item.strip()

    year = value.get("year")
    latest = (published.year if published else date.today().year) + 1
    if isinstance(year, str) and year.strip().isdigit():
        year = int(year)
    if not isinstance(year, int) or isinstance(year, bool) or not 1800 <= year <= latest:
        problem("study.year", f"{value.get('year')!r} must be a year like 2025, and not after {latest}")
        year = None

    doi = value.get("doi")
    if doi is not None:
        doi = normalise_doi(doi) if isinstance(doi, str) else None
        if not doi or not DOI_PATTERN.match(doi):
            problem("study.doi", f"{value.get('doi')!r} does not look like a DOI (10.<digits>/<suffix>, for example 10.1136/bmj.k851)")
            doi = None
    url = value.get("url")
    if url is not None and (not isinstance(url, str) or not is_http_url(url.strip())):
        problem("study.url", f"{url!r} must be an http:// or https:// address")
        url = None
    if value.get("doi") is None and value.get("url") is None:
        problem("study", "needs a doi or a url, so readers can find the study itself")

    if found:
        return None
    return StudySource(study_type, texts.get("title"), texts["journal"], year, doi, url.strip() if url else None, evidence)


def _key_points(value, add_problem) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        add_problem("key_points", "must be a list of short lines of text")
        return ()
    points = tuple(item.strip() for item in value)
    if not MIN_KEY_POINTS <= len(points) <= MAX_KEY_POINTS:
        add_problem("key_points", f"has {len(points)} lines; give {MIN_KEY_POINTS} to {MAX_KEY_POINTS}")
        return ()
    for number, point in enumerate(points, 1):
        if len(point) > KEY_POINT_MAX_LENGTH:
            add_problem("key_points", f"line {number} is longer than {KEY_POINT_MAX_LENGTH} characters; key points are short")
            return ()
    return points


def _corrections(value, add_problem, published) -> tuple[CorrectionSource, ...]:
    if not isinstance(value, list):
        add_problem("corrections", "must be a list of {date, note} entries")
        return ()
    found = []
    for number, entry in enumerate(value, 1):
        key = f"corrections[{number}]"
        if not isinstance(entry, dict) or set(map(str, entry)) != {"date", "note"}:
            add_problem(key, "must have exactly two keys: date and note")
            continue
        dated = to_date(entry["date"])
        note = entry["note"]
        if dated is None:
            add_problem(f"{key}.date", f"{entry['date']!r} is not a date like 2026-03-14")
            continue
        if published and dated < published.date():
            add_problem(f"{key}.date", "is earlier than published: a correction comes after publication")
            continue
        if not isinstance(note, str) or not note.strip() or len(note.strip()) > CORRECTION_MAX_LENGTH:
            add_problem(f"{key}.note", f"must be text of 1 to {CORRECTION_MAX_LENGTH} characters saying what was wrong and what we changed")
            continue
        found.append(CorrectionSource(dated, note.strip()))
    return tuple(found)
