"""The editors' synonym list, `synonyms.yml` beside categories.yml: read and checked.

Each entry is one group, the word a reader is likely to type and the other
ways articles say it:

    heart attack: [myocardial infarction, MI]

The file is checked like an article: every problem is reported with the
file, the line and the group's key, and nothing is imported while any is
left. Search (search/synonyms.py) decides how the groups widen a query;
this module only knows the file.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import delete, select

from ..extensions import db
from ..models import SearchSynonym
from .parse import FileProblem

SYNONYMS_FILE = "synonyms.yml"
# A phrase longer than this is a sentence, not a name for something.
MAX_WORDS = 6
MAX_TERM_CHARS = 80
MAX_GROUPS = 5000
# What search counts as a word: two or more letters or digits (shorter ones
# and punctuation are not indexed, so a term made only of them finds nothing).
_WORD = re.compile(r"[^\W_]{2,}")


@dataclass(frozen=True)
class SynonymGroup:
    """One line of synonyms.yml: the key (the reader's word) first, then the rest."""

    terms: tuple[str, ...]
    line: int

    @property
    def key(self) -> str:
        return self.terms[0]


def _where(node, key: str | None = None) -> str:
    line = f"line {node.start_mark.line + 1}"
    return f"{line} ({key})" if key else line


def load_synonyms(path: Path) -> tuple[list[SynonymGroup], list[FileProblem]]:
    """Parse and check synonyms.yml; returns the groups and every problem found."""
    shown = str(path)
    problems: list[FileProblem] = []
    try:
        # Composed, not loaded: nodes carry their line, and every scalar stays
        # the text the editor wrote (YAML would read a key "NO" as false).
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], [FileProblem(shown, None, f"cannot be read ({exc})")]
    if root is None:
        return [], []
    if not isinstance(root, yaml.MappingNode):
        return [], [FileProblem(shown, None, "must map each word to a list of its synonyms, e.g. `heart attack: [myocardial infarction, MI]`")]
    if len(root.value) > MAX_GROUPS:
        return [], [FileProblem(shown, None, f"has {len(root.value)} groups; at most {MAX_GROUPS} are allowed")]

    groups: list[SynonymGroup] = []
    seen: dict[tuple[str, ...], str] = {}  # normalised term -> where it was first seen
    for key_node, value_node in root.value:
        if not isinstance(key_node, yaml.ScalarNode) or not key_node.value.strip():
            problems.append(FileProblem(shown, _where(key_node), "each key must be a word or phrase"))
            continue
        key = key_node.value.strip()
        if not isinstance(value_node, yaml.SequenceNode) or not value_node.value:
            problems.append(FileProblem(shown, _where(key_node, key), "must be followed by a list of synonyms, e.g. [myocardial infarction, MI]"))
            continue
        terms = [key]
        for item in value_node.value:
            if not isinstance(item, yaml.ScalarNode) or not item.value.strip():
                problems.append(FileProblem(shown, _where(item, key), "each synonym must be a word or phrase"))
                continue
            terms.append(item.value.strip())
        group_problems = False
        in_group: set[tuple[str, ...]] = set()
        for term in terms:
            problem = _term_problem(term)
            if problem:
                problems.append(FileProblem(shown, _where(key_node, key), f"{term!r} {problem}"))
                group_problems = True
                continue
            words = normalised(term)
            if words in in_group:
                continue  # the same words twice in one group ("beta blockers", "beta-blockers")
            in_group.add(words)
            if words in seen:
                problems.append(FileProblem(shown, _where(key_node, key), f"{term!r} is already in the group at {seen[words]}; a term may be in one group only"))
                group_problems = True
            else:
                seen[words] = _where(key_node, key)
        if len(in_group) < 2 and not group_problems:
            problems.append(FileProblem(shown, _where(key_node, key), "needs at least one synonym that differs from the key"))
            continue
        if not group_problems:
            groups.append(SynonymGroup(tuple(terms), key_node.start_mark.line + 1))
    return groups, problems


def normalised(term: str) -> tuple[str, ...]:
    """The searchable words of a term, lowercase: what makes two terms the same."""
    return tuple(word.lower() for word in _WORD.findall(term))


def _term_problem(term: str) -> str | None:
    if len(term) > MAX_TERM_CHARS:
        return f"is longer than {MAX_TERM_CHARS} characters"
    if not normalised(term):
        return "has no word of two or more letters or digits, so search could never match it"
    if len(term.split()) > MAX_WORDS:
        return f"has more than {MAX_WORDS} words"
    return None


def find_synonyms_file(categories_file: Path | None) -> Path | None:
    """synonyms.yml beside categories.yml (the content folder), if there is one."""
    if categories_file is None:
        return None
    candidate = categories_file.parent / SYNONYMS_FILE
    return candidate if candidate.is_file() else None


def write_synonyms(groups: list[SynonymGroup]) -> bool:
    """Store the groups in the caller's transaction, replacing the old ones;
    True when they differ from what was stored."""
    wanted = [json.dumps(list(group.terms), ensure_ascii=False) for group in groups]
    stored = list(db.session.scalars(select(SearchSynonym.terms).order_by(SearchSynonym.position)))
    if stored == wanted:
        return False
    db.session.execute(delete(SearchSynonym))
    if wanted:
        db.session.execute(SearchSynonym.__table__.insert(), [{"position": i, "terms": t} for i, t in enumerate(wanted)])
    return True
