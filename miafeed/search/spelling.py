"""British and American spellings meet: one spelling of each word, by rule.

Readers type "randomised" or "randomized", "haemoglobin" or "hemoglobin",
and articles use either. Every searchable word is rewritten to one form (the
American one, which the rules below reach more simply) before stemming, at
index time (engine's analyzer) and at query time (matching.stem), so both
sides always agree. The rewrite only has to be consistent, not correct
English: "exercise" becoming "exercize" is harmless, because both spellings
of every word land on the same form. What the rules must avoid is folding
two different words together, so each rule is narrowed (a minimum number of
letters before it, a place in the word) where a broader one would.

The spelling-suggestion field is left as written: suggestions are shown to
readers, in the spelling the articles use.

No Whoosh here: the engine wraps `us_spelling` in an analysis filter.
"""
from __future__ import annotations

import re
from functools import lru_cache

# Whole words whose spellings no rule joins (or a rule would join wrongly).
# Keys are the British (or other) form, values the form both meet at.
EXCEPTIONS = {
    "practise": "practice", "practised": "practiced", "practising": "practicing", "practises": "practices",
    "licence": "license", "licences": "licenses",
    "defence": "defense", "defences": "defenses",
    "offence": "offense", "offences": "offenses",
    "pretence": "pretense",
    "grey": "gray", "greying": "graying",
    "mould": "mold", "mouldy": "moldy", "moulds": "molds",
    "tyre": "tire", "tyres": "tires",
    "plough": "plow",
    "aluminium": "aluminum",
    "ageing": "aging",
    "judgement": "judgment", "judgements": "judgments",
    "acknowledgement": "acknowledgment",
    "manoeuvre": "maneuver", "manoeuvres": "maneuvers",
    "foetus": "fetus", "foetal": "fetal", "foetuses": "fetuses",
    "coeliac": "celiac",
    "artefact": "artifact", "artefacts": "artifacts",
    "moustache": "mustache",
    "pyjamas": "pajamas",
    "cheque": "check",
    "odour": "odor", "odours": "odors",
    "fulfil": "fulfill", "fulfils": "fulfills", "fulfilment": "fulfillment",
    "enrol": "enroll", "enrols": "enrolls", "enrolment": "enrollment", "enrolments": "enrollments",
    "skilful": "skillful",
    "fuelled": "fueled", "fuelling": "fueling",
    "sceptical": "skeptical", "sceptic": "skeptic", "scepticism": "skepticism",
    "mum": "mom", "mums": "moms",
    "doughnut": "donut", "doughnuts": "donuts",
    "disc": "disk", "discs": "disks",
    "kerb": "curb",
    "storey": "story",
    "draught": "draft",
    "sulphur": "sulfur",
    "ischaemia": "ischemia", "ischaemic": "ischemic",
}

# Rules, in order, each (pattern, replacement). Words are already lowercase
# with accents folded.
_RULES = [
    # ae -> e inside a word: haemoglobin, anaemia, paediatric, leukaemia,
    # orthopaedic, caesarean, gynaecology. Not at the start ("aerobic").
    (re.compile(r"(?<=[a-z])ae(?=[a-z])"), "e"),
    # oe -> e at the start (oestrogen, oedema, oesophagus) and in -oea
    # (diarrhoea, dyspnoea, apnoea). Elsewhere "oe" is English (shoe, poem).
    (re.compile(r"^oe(?=[a-z]{3})"), "e"),
    (re.compile(r"(?<=[a-z]{2})oea(?=s?$|l$)"), "ea"),
    # -ise / -isation / -yse: randomised, organisation, analyse, paralysed.
    (re.compile(r"(?<=[a-z]{2})is(e|ed|es|ing|er|ers|ation|ations|ational)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{2})ys(e|ed|es|ing|er|ers)$"), r"yz\1"),
    # -our -> -or with three letters before: colour, tumour, behaviour(al),
    # favourite, labour. Not "hour", "four", "tour", "your".
    (re.compile(r"(?<=[a-z]{3})our(s|ed|ing|ful|ite|ites|able|ably|er|ers|al|ally|ism|ist|ists|less|hood|hoods)?$"), r"or\1"),
    # -tre/-bre -> -ter/-ber: centre, litre, metre, theatre, fibre, calibre.
    (re.compile(r"(?<=[a-z]{2})([tb])re(s?)$"), r"\1er\2"),
    (re.compile(r"(?<=[a-z]{3})([tb])red$"), r"\1ered"),
    (re.compile(r"(?<=[a-z]{3})([tb])ring$"), r"\1ering"),
    # -ogue -> -og: catalogue, dialogue, analogue.
    (re.compile(r"(?<=[a-z]{3})ogue(s?)$"), r"og\1"),
    # -amme -> -am: programme, kilogramme.
    (re.compile(r"(?<=[a-z]{3})amme(s?)$"), r"am\1"),
    # Doubled l before a suffix: travelled, modelling, labelled, counsellor,
    # cancelled, signalling. Three letters first, so "spelled" and "yelling"
    # stay as they are.
    (re.compile(r"(?<=[a-z]{3})([ae])ll(ed|ing|er|ers|or|ors)$"), r"\1l\2"),
    # sulph- -> sulf-: sulphate, sulphonylurea.
    (re.compile(r"^sulph"), "sulf"),
]


@lru_cache(maxsize=200_000)
def us_spelling(word: str) -> str:
    """The one spelling both British and American forms of `word` meet at
    (`word` is lowercase and accent-folded)."""
    if len(word) < 4 or not word.isalpha():
        return word
    exception = EXCEPTIONS.get(word)
    if exception is not None:
        return exception
    for pattern, replacement in _RULES:
        word = pattern.sub(replacement, word)
    return word
