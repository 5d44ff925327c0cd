"""An editor's check of what a careful reader would catch: a number in the
headline that the story never gives, a study box whose number of people
disagrees with its own description, "percent" and "%" in one article, a
source that is a press release while the box says it is not.

These are warnings, not refusals: an import goes ahead (the editor may be
right, and the reader is better served by the story than by nothing), and
`flask content check` (check_cli.py) lists them for a whole folder before
publishing.
"""
from __future__ import annotations

import re

from .parse import ArticleSource, FileProblem

# A number as written in prose: 10.6, 89,530, 1.3.
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
# "Close to 34,000 adults", "More than 1,000 older adults", "Roughly 1.3
# million people": the count a study box description opens with.
_LEADING_COUNT = re.compile(
    r"^(?:(?:close to|about|around|roughly|nearly|almost|over|more than|fewer than|some|just over|just under)\s+)?"
    r"(\d[\d,]*(?:\.\d+)?)(\s+million)?\s+(?:[a-z-]+\s+){0,2}?"
    r"(?:people|adults|participants|patients|volunteers|women|men|children|teenagers|teens|students|pupils|workers|employees|residents|survivors|nurses)\b",
    re.I)
_PERCENT_WORD = re.compile(r"\bper ?cent\b(?!age|ile)", re.I)
_PRESS_RELEASE_URL = re.compile(r"press[-_]?releases?|news[-_]?releases?|newsroom|media[-_]release", re.I)
# A description's count may be rounded ("close to 34,000" for 33,995).
COUNT_TOLERANCE = 0.1


def leading_count(who: str | None) -> int | None:
    """The number of people a study description opens with ("Close to
    34,000 adults ..." -> 34000), or None when it opens with none."""
    found = _LEADING_COUNT.match((who or "").strip())
    if not found:
        return None
    value = float(found.group(1).replace(",", ""))
    return round(value * 1_000_000) if found.group(2) else round(value)


def _numbers(text: str) -> set[str]:
    return {number.replace(",", "") for number in _NUMBER.findall(text)}


def check_article(source: ArticleSource) -> list[FileProblem]:
    """The warnings for one validated article."""
    warnings = []

    def warn(key, message):
        warnings.append(FileProblem(source.path, key, message))

    story = f"{source.summary}\n{source.body}"
    missing = sorted(_numbers(source.title) - _numbers(story))
    if missing:
        warn("title", f"gives {', '.join(missing)}, which the summary and body never give: check the figure")

    study = source.trust.study
    evidence = study.evidence if study else None
    if evidence is not None and evidence.participants is not None:
        said = leading_count(evidence.who)
        if said is not None and abs(said - evidence.participants) > COUNT_TOLERANCE * evidence.participants:
            warn("study.participants", f"is {evidence.participants:,} but study.who opens with {said:,}: say one number")

    texts = [source.title, source.summary, source.body, *source.trust.key_points]
    if evidence is not None:
        texts += [evidence.absolute_effect or "", evidence.relative_effect or ""]
    joined = "\n".join(texts)
    if _PERCENT_WORD.search(joined) and "%" in joined:
        warn("body", "mixes \"percent\" and \"%\": use one (the house style is \"%\")")

    if evidence is not None and evidence.press_release is not True and _PRESS_RELEASE_URL.search(source.source_url):
        warn("study.press_release", f"is not true, but source_url looks like a press release ({source.source_url})")
    return warnings


def check_sources(sources: list[ArticleSource]) -> list[FileProblem]:
    """The warnings for validated articles, file by file."""
    return [warning for source in sources for warning in check_article(source)]
