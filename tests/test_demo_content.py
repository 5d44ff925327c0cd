"""The demo corpus that ships in content/ imports cleanly and meets the editorial rules."""
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from miafeed.content import import_content
from miafeed.extensions import db
from miafeed.models import Article, utcnow

LANCET_REVIEW_SOURCE = "https://medicalxpress.com/news/2025-05-psychological-treatment-linked-physical-brain.html"


@pytest.fixture
def demo_articles(app):
    with app.app_context():
        result = import_content(app.config["CONTENT_DIR"])
        assert result.added
        yield db.session.scalars(select(Article)).all()


def test_demo_corpus_has_enough_articles_across_categories(demo_articles):
    categories = Counter(article.category.name for article in demo_articles)
    assert len(demo_articles) >= 48
    assert len(categories) >= 6
    assert categories["Mental Health & Mindfulness"] >= 4
    assert categories["Sleep"] >= 4


def test_every_demo_article_follows_the_editorial_rules(demo_articles):
    now = utcnow()
    for article in demo_articles:
        where = article.slug
        assert 200 <= article.word_count <= 600, (where, article.word_count)
        assert 2 <= len(article.tags) <= 5, where
        assert len(article.summary.split()) >= 8, where
        assert article.source_url.startswith("https://"), where
        assert now - timedelta(days=366) <= article.published_at <= now, where
        assert not article.draft, where


def test_demo_dates_are_spread_over_the_year(demo_articles):
    months = {(a.published_at.year, a.published_at.month) for a in demo_articles}
    assert len(months) >= 9


def test_demo_corpus_reports_the_lancet_review_on_psychological_treatment_and_pain(demo_articles):
    matches = [a for a in demo_articles if a.source_url == LANCET_REVIEW_SOURCE]
    assert len(matches) == 1
    review = matches[0]
    assert "Vase" in review.body_text and "Aarhus" in review.body_text
    assert review.category.name == "Chronic Pain & Conditions"
