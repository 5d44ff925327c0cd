"""reader feedback: "Was this page helpful?" and problem reports

Revision ID: 0013_reader_feedback
Revises: 0012_evidence_review
Create Date: 2026-12-02 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_reader_feedback'
down_revision = '0012_evidence_review'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reader_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_slug', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reader_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_reader_feedback_article', ['article_slug', 'received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_reader_feedback_received_on'), ['received_on'], unique=False)


def downgrade():
    with op.batch_alter_table('reader_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reader_feedback_received_on'))
        batch_op.drop_index('ix_reader_feedback_article')
    op.drop_table('reader_feedback')
