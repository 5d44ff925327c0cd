"""search misses held as keyed hashes until several searches asked them;
former slugs (301) and removed articles (410)

Revision ID: 0014_misses_gone
Revises: 0013_reader_feedback
Create Date: 2026-12-08 05:00:00

Expand-only: three new tables, nothing changed in the old ones, so the
previous release keeps running beside this one.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_misses_gone'
down_revision = '0013_reader_feedback'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_miss_candidates',
    sa.Column('digest', sa.LargeBinary(length=16), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('digest')
    )
    with op.batch_alter_table('search_miss_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_miss_candidates_first_day'), ['first_day'], unique=False)
    op.create_table('former_slugs',
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('slug')
    )
    with op.batch_alter_table('former_slugs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_former_slugs_article_id'), ['article_id'], unique=False)
    op.create_table('removed_articles',
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('category_slug', sa.String(length=200), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )


def downgrade():
    op.drop_table('removed_articles')
    with op.batch_alter_table('former_slugs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_former_slugs_article_id'))
    op.drop_table('former_slugs')
    with op.batch_alter_table('search_miss_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_miss_candidates_first_day'))
    op.drop_table('search_miss_candidates')
