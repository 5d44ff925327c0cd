"""portable content: lead-image originals in the database, hosts' versions,
tree-relative source paths

Revision ID: 0010_portable_hosts
Revises: 0009_mail_relay_pause
Create Date: 2026-12-02 14:10:00

Only additions and a rewrite of a column's values: code of the previous
release runs unchanged against the upgraded database (it never reads the
new tables, and reads source_path only to compare it), so hosts can be
upgraded one by one after this runs (see the rolling-deploy notes).
"""
from pathlib import Path, PurePosixPath

from alembic import op
import sqlalchemy as sa


revision = '0010_portable_hosts'
down_revision = '0009_mail_relay_pause'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lead_image_originals',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('stored_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('hosts_seen',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    for table in ('articles', 'site_pages'):
        _relativize_source_paths(table)


def _relativize_source_paths(table: str) -> None:
    """Absolute paths (written before paths were tree-relative) become
    relative to their content tree: the folder above them holding
    categories.yml when it is still on disk, else what follows the last
    "content" folder in the path. A path neither rule fits stays as it is;
    the next import of that article rewrites it."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, source_path FROM {table}")).all()
    for row_id, stored in rows:
        relative = _relative_form(stored or "")
        if relative is not None and relative != stored:
            bind.execute(sa.text(f"UPDATE {table} SET source_path = :path WHERE id = :id"), {"path": relative, "id": row_id})


def _relative_form(stored: str) -> str | None:
    if not stored.startswith("/"):
        return None
    path = PurePosixPath(stored)
    for folder in path.parents:
        if Path(folder, "categories.yml").is_file():
            return path.relative_to(folder).as_posix()
    parts = path.parts
    if "content" in parts[:-1]:
        last = len(parts) - 1 - parts[::-1].index("content")
        return PurePosixPath(*parts[last + 1:]).as_posix()
    return None


def downgrade():
    # The relative paths stay: the older importer finds no file at them,
    # so its next import updates each article once and writes absolute
    # paths again.
    op.drop_table('hosts_seen')
    op.drop_table('lead_image_originals')
