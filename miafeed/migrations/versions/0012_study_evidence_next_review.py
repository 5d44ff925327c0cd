"""study evidence in the reader's terms, and an article's own next review date

Revision ID: 0012_evidence_review
Revises: 0011_search_words
Create Date: 2026-12-02 14:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_evidence_review'
down_revision = '0011_search_words'
branch_labels = None
depends_on = None

TEXT_COLUMNS = ('study_who', 'study_absolute_effect', 'study_relative_effect', 'study_harms', 'study_cost',
                'study_funding', 'study_conflicts')


def upgrade():
    # Plain ALTER TABLE ... ADD COLUMN on both databases: nullable columns need no table rebuild.
    op.add_column('articles', sa.Column('study_studied_in', sa.String(length=10), nullable=True))
    op.add_column('articles', sa.Column('study_animal', sa.String(length=60), nullable=True))
    op.add_column('articles', sa.Column('study_participants', sa.Integer(), nullable=True))
    op.add_column('articles', sa.Column('study_studies', sa.Integer(), nullable=True))
    for name in TEXT_COLUMNS:
        op.add_column('articles', sa.Column(name, sa.Text(), nullable=True))
    op.add_column('articles', sa.Column('study_press_release', sa.Boolean(), nullable=True))
    op.add_column('articles', sa.Column('next_review', sa.Date(), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+), not batch mode: a batch rebuild drops
    # the old articles table, and with foreign keys on that would cascade-delete
    # every article's tags, corrections and related picks.
    for name in ('next_review', 'study_press_release', *reversed(TEXT_COLUMNS), 'study_studies',
                 'study_participants', 'study_animal', 'study_studied_in'):
        op.drop_column('articles', name)
