"""search changes: the log every host's search index follows

Revision ID: 0005_search_changes
Revises: 0004_subscriber_public_id
Create Date: 2026-11-25 13:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_search_changes'
down_revision = '0004_subscriber_public_id'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_changes',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('search_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_changes_changed_at'), ['changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('search_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_changes_changed_at'))

    op.drop_table('search_changes')
