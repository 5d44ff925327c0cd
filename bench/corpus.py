"""A deterministic synthetic corpus of health articles, for benchmarks.

The same seed always gives the same articles. Words are drawn from a health
vocabulary with a Zipf-like skew (a few words are everywhere, many are rare),
so common-word, rare-word and phrase queries behave as on a real site.
Bodies are 300-800 words, like the demo articles.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

CATEGORIES = [
    ("Mental Health & Mindfulness", "mental-health-mindfulness"),
    ("Sleep", "sleep"),
    ("Nutrition", "nutrition"),
    ("Movement & Fitness", "movement-fitness"),
    ("Chronic Pain & Conditions", "chronic-pain-conditions"),
    ("Heart Health", "heart-health"),
    ("Healthy Aging", "healthy-aging"),
]

TOPIC_WORDS = {
    "mental-health-mindfulness": "anxiety depression stress mindfulness meditation mood therapy wellbeing loneliness gratitude burnout resilience panic rumination cognitive behavioral psychotherapy counselling".split(),
    "sleep": "sleep insomnia nap circadian melatonin bedtime wakefulness snoring apnea dream drowsiness shiftwork sleepiness rest chronotype".split(),
    "nutrition": "diet protein fiber sugar vegetables fruit coffee tea alcohol salt fasting calories vitamin omega mediterranean processed snacks breakfast".split(),
    "movement-fitness": "exercise walking running steps strength training cycling swimming yoga stretching sedentary sitting aerobic endurance muscles fitness".split(),
    "chronic-pain-conditions": "pain chronic arthritis migraine fibromyalgia back inflammation opioids diabetes asthma neuropathy flare disability physiotherapy".split(),
    "heart-health": "heart blood pressure cholesterol stroke artery cardiovascular hypertension rhythm atrial fibrillation statins cardiac vessels pulse".split(),
    "healthy-aging": "aging dementia memory cognition hearing frailty falls retirement longevity alzheimer elderly independence balance bones".split(),
}

COMMON_WORDS = (
    "study researchers participants found trial results people risk health data group years "
    "effect analysis review evidence compared higher lower associated reported women men adults "
    "week month daily average percent team university published journal outcome measure control"
).split()

GENERAL_WORDS = (
    "patients clinic doctors hospital survey cohort randomized placebo dose benefit harm factor "
    "questionnaire sample follow longer shorter improved reduced increased change baseline score "
    "symptoms treatment program sessions habits routine evening morning family children teenagers "
    "community income smoking weight obesity screening genetic lifestyle environment pollution "
    "noise light screen phone social support workplace commute city rural country national "
    "younger older middle early late modest small large significant uncertain limited careful "
    "caution causal observational meta systematic trialists funding independent bias confounding"
).split()

# Rare words: each appears in only a handful of articles.
RARE_WORDS = [f"{stem}{suffix}" for stem in ("zorvex", "quintal", "brimlow", "kestrane", "pellador", "vantrix", "olumbra", "tessivar") for suffix in ("", "ine", "ate", "ol", "ium")]

STOP = "the a of and to in for with on that is was by as at from this it an be are or".split()


@dataclass
class SyntheticArticle:
    id: int
    slug: str
    title: str
    summary: str
    body: str
    category: tuple[str, str]
    tags: list[str]
    published: datetime


def _sentence(rng: random.Random, topic: list[str], length: int) -> str:
    words = []
    for _ in range(length):
        roll = rng.random()
        if roll < 0.30:
            words.append(rng.choice(STOP))
        elif roll < 0.52:
            words.append(COMMON_WORDS[min(int(rng.paretovariate(1.2)) - 1, len(COMMON_WORDS) - 1)])
        elif roll < 0.80:
            words.append(rng.choice(topic))
        elif roll < 0.9995:
            words.append(rng.choice(GENERAL_WORDS))
        else:
            words.append(rng.choice(RARE_WORDS))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def generate(count: int, seed: int = 20261125):
    """Yield `count` SyntheticArticle objects, the same ones for the same seed."""
    rng = random.Random(seed)
    start = datetime(2020, 1, 1)
    for number in range(1, count + 1):
        category = CATEGORIES[rng.randrange(len(CATEGORIES))]
        topic = TOPIC_WORDS[category[1]]
        # A second topic now and then, as real articles cross categories.
        if rng.random() < 0.3:
            topic = topic + TOPIC_WORDS[rng.choice(CATEGORIES)[1]]
        title = _sentence(rng, topic, rng.randint(7, 12)).rstrip(".")
        summary = _sentence(rng, topic, rng.randint(20, 30))
        paragraphs = []
        words = rng.randint(300, 800)
        while words > 0:
            size = min(words, rng.randint(40, 90))
            paragraphs.append(" ".join(_sentence(rng, topic, rng.randint(10, 20)) for _ in range(max(1, size // 15))))
            words -= size
        tags = list(dict.fromkeys(rng.sample(topic, k=min(len(topic), rng.randint(2, 4)))))
        yield SyntheticArticle(
            id=number,
            slug=f"synthetic-{number}",
            title=title,
            summary=summary,
            body="\n\n".join(paragraphs),
            category=category,
            tags=tags,
            published=start + timedelta(minutes=number * 37 % (60 * 24 * 2000)),
        )
