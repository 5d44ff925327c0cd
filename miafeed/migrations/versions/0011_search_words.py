"""search words: the editors' synonym groups, and searches that found nothing

Revision ID: 0011_search_words
Revises: 0010_portable_hosts
Create Date: 2026-12-02 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_search_words'
down_revision = '0010_portable_hosts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_synonyms',
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('position')
    )
    op.create_table('search_misses',
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('query', 'day')
    )
    with op.batch_alter_table('search_misses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_misses_day'), ['day'], unique=False)


def downgrade():
    with op.batch_alter_table('search_misses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_misses_day'))
    op.drop_table('search_misses')
    op.drop_table('search_synonyms')
