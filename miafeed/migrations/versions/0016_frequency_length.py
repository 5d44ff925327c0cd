"""subscribers.frequency takes names up to 20 characters ("fortnightly" has 11)

Revision ID: 0016_frequency_length
Revises: 0015_mail_hygiene
Create Date: 2026-12-08 05:00:00

Expand-only: a wider column holds every value the previous release writes,
so that release keeps running while this one is rolled out.
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_frequency_length'
down_revision = '0015_mail_hygiene'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.alter_column('frequency', existing_type=sa.String(length=10), type_=sa.String(length=20),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.alter_column('frequency', existing_type=sa.String(length=20), type_=sa.String(length=10),
                              existing_nullable=False)
