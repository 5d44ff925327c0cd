"""mail delivery paused while the relay refuses everything

Revision ID: 0009_mail_relay_pause
Revises: 0008_topics_bounces
Create Date: 2026-12-02 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_mail_relay_pause'
down_revision = '0008_topics_bounces'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_relay_pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('retry_at', sa.DateTime(), nullable=False),
    sa.Column('refusals', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    op.drop_table('mail_relay_pause')
