"""related picks: the precomputed Related Articles of each article

Revision ID: 0003_related
Revises: 0001_initial
Create Date: 2026-11-25 04:48:57.621464
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_related'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('related_picks',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['related_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'position')
    )
    with op.batch_alter_table('related_picks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_related_picks_related_id'), ['related_id'], unique=False)



def downgrade():
    with op.batch_alter_table('related_picks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_related_picks_related_id'))

    op.drop_table('related_picks')
