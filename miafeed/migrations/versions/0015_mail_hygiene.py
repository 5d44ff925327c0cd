"""mail hygiene: the site-wide refusal run, complaints, webhook replays, send pace

Revision ID: 0015_mail_hygiene
Revises: 0014_misses_gone
Create Date: 2026-12-08 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_mail_hygiene'
down_revision = '0014_misses_gone'
branch_labels = None
depends_on = None


def upgrade():
    # Expand-only: two new tables and a nullable column the previous release ignores.
    op.create_table('mail_refusal_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('readers', sa.Integer(), nullable=False),
    sa.Column('last_reader', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('mail_webhook_seen',
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token_digest')
    )
    with op.batch_alter_table('mail_webhook_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_webhook_seen_seen_at'), ['seen_at'], unique=False)
    op.add_column('subscribers', sa.Column('complained_at', sa.DateTime(), nullable=True))
    op.create_table('mail_send_pace',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('next_slot_at', sa.DateTime(), nullable=False),
    sa.Column('throttled_until', sa.DateTime(), nullable=True),
    sa.Column('throttles', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    op.drop_table('mail_send_pace')
    op.drop_column('subscribers', 'complained_at')
    with op.batch_alter_table('mail_webhook_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_webhook_seen_seen_at'))
    op.drop_table('mail_webhook_seen')
    op.drop_table('mail_refusal_run')
