"""newsletter topics (categories per subscriber) and bounce counting

Revision ID: 0008_topics_bounces
Revises: 0007_lead_images
Create Date: 2026-11-25 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_topics_bounces'
down_revision = '0007_lead_images'
branch_labels = None
depends_on = None


def upgrade():
    # Adding columns is a plain ALTER TABLE on SQLite too (no table rebuild).
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bounce_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_bounce_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('bounced_at', sa.DateTime(), nullable=True))

    op.create_table('subscriber_topics',
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscriber_id', 'category_id')
    )
    with op.batch_alter_table('subscriber_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriber_topics_category_id'), ['category_id'], unique=False)


def downgrade():
    with op.batch_alter_table('subscriber_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriber_topics_category_id'))
    op.drop_table('subscriber_topics')

    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not batch mode: batch
    # mode rebuilds the table, and dropping the old subscribers table would
    # cascade-delete every row of outgoing_mail (foreign keys are on).
    for column in ('bounced_at', 'last_bounce_at', 'bounce_count'):
        op.drop_column('subscribers', column)
