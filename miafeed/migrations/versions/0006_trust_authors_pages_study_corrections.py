"""trust: authors, site pages, the study and review of each article, corrections

Revision ID: 0006_trust
Revises: 0005_search_changes
Create Date: 2026-11-25 13:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_trust'
down_revision = '0005_search_changes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('authors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('credentials', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=120), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('site_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('source_path', sa.String(length=1000), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('article_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('dated', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('article_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_corrections_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_corrections_dated'), ['dated'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_corrections_recorded_at'), ['recorded_at'], unique=False)

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_reviewed', sa.Date(), nullable=True))
        # Existing rows have no key points: an empty JSON list, as the model writes.
        batch_op.add_column(sa.Column('key_points', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('study_type', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('study_title', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('study_journal', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('study_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('study_doi', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('study_url', sa.String(length=2000), nullable=True))
        batch_op.create_index(batch_op.f('ix_articles_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_articles_reviewer_id'), ['reviewer_id'], unique=False)
        batch_op.create_foreign_key('fk_articles_author_id', 'authors', ['author_id'], ['id'])
        batch_op.create_foreign_key('fk_articles_reviewer_id', 'authors', ['reviewer_id'], ['id'])


def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint('fk_articles_reviewer_id', type_='foreignkey')
        batch_op.drop_constraint('fk_articles_author_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_articles_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_articles_author_id'))
        for column in ('study_url', 'study_doi', 'study_year', 'study_journal', 'study_title', 'study_type',
                       'key_points', 'last_reviewed', 'reviewer_id', 'author_id'):
            batch_op.drop_column(column)

    with op.batch_alter_table('article_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_corrections_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_article_corrections_dated'))
        batch_op.drop_index(batch_op.f('ix_article_corrections_article_id'))
    op.drop_table('article_corrections')
    op.drop_table('site_pages')
    op.drop_table('authors')
