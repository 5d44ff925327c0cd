"""categories remember their former slugs, so an old address answers 301

Revision ID: 0017_category_former_slugs
Revises: 0016_frequency_length
Create Date: 2026-12-08 05:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_category_former_slugs'
down_revision = '0016_frequency_length'
branch_labels = None
depends_on = None


def upgrade():
    # Expand only: a nullable column the previous release never reads.
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('former_slugs', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('former_slugs')
