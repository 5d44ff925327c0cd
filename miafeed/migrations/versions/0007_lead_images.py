"""lead images: an article's picture key, size, alt text and credit

Revision ID: 0007_lead_images
Revises: 0006_trust
Create Date: 2026-11-25 13:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_lead_images"
down_revision = '0006_trust'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("image_width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("image_height", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("image_alt", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("image_credit", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("image_credit")
        batch_op.drop_column("image_alt")
        batch_op.drop_column("image_height")
        batch_op.drop_column("image_width")
        batch_op.drop_column("image_key")
