"""subscriber public id for mailed links; digest period on queued mail

Subscribers get a random `public_id` that mailed tokens carry instead of
the sequential id (existing rows are backfilled here). Outgoing mail gets
`digest_period` and `digest_since`, so a digest that fails for good is
handed back to the next `digest send`.

Revision ID: 0004_subscriber_public_id
Revises: 0002_newsletter, 0003_related
Create Date: 2026-11-25 13:10:00
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0004_subscriber_public_id'
down_revision = ('0002_newsletter', '0003_related')
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=32), nullable=True))

    subscribers = sa.table('subscribers', sa.column('id', sa.Integer), sa.column('public_id', sa.String))
    connection = op.get_bind()
    ids = connection.execute(sa.select(subscribers.c.id).where(subscribers.c.public_id.is_(None))).scalars().all()
    for subscriber_id in ids:
        connection.execute(
            subscribers.update().where(subscribers.c.id == subscriber_id).values(public_id=secrets.token_urlsafe(16))
        )

    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint('uq_subscribers_public_id', ['public_id'])

    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_period', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('digest_since', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_column('digest_since')
        batch_op.drop_column('digest_period')

    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_subscribers_public_id', type_='unique')
        batch_op.drop_column('public_id')
