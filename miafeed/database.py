"""Everything that knows the database is SQLite lives here.

SQLite needs three things to behave under several gunicorn workers:
WAL (readers never wait for the writer), a busy timeout (a writer waits for
the lock instead of failing at once with "database is locked"), and
`BEGIN IMMEDIATE` for transactions that will write, so two writers queue at
the start instead of deadlocking when both try to upgrade a read lock.
Other databases (PostgreSQL) need none of this; every hook below checks the
dialect first, so switching is one setting.

PostgreSQL runs transactions side by side instead (READ COMMITTED), so a
transaction that reads a row in order to change it locks that row with
`SELECT ... FOR UPDATE` (SQLite ignores the clause: BEGIN IMMEDIATE already
serialises its writers), and queue claimers skip rows another claimer holds
(`for_update_skip_locked`).
"""
import errno
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from .clock import utcnow
from .extensions import db
from .private_files import create_private

_begin_immediate: ContextVar[bool] = ContextVar("begin_immediate", default=False)


def default_sqlite_uri(instance_path: str) -> str:
    return f"sqlite:///{instance_path}/miafeed.db"


def init_app(app) -> None:
    """Install the SQLite connection hooks on the app's engine."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return
        _create_database_file_owner_only(engine.url.database)
        busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Take transaction control away from the sqlite3 module so the
            # "begin" hook below decides between BEGIN and BEGIN IMMEDIATE.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            # Deleted rows are overwritten with zeros, not just unlinked, so
            # an erased subscriber's address cannot be read back from the
            # file (see forget_deleted_rows for the WAL).
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def _create_database_file_owner_only(database: str | None) -> None:
    # It holds every subscriber's address. SQLite would create it with the
    # umask's mode (0644 as a rule) at the first connection; made 0600 here
    # first, its -wal and -shm files follow (SQLite copies the mode).
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():
        create_private(path)


class WriteUnavailable(Exception):
    """The database (or the disk under it) cannot take a write right now.

    Raised by write_transaction in place of the driver's error when the
    cause is the moment, not the request: the write lock was held past the
    busy timeout, the disk is full or read-only, the database is away.
    Nothing of the write was kept; the same write may succeed later. The
    web answers 503 with Retry-After (http/unavailable.py) and a command
    prints one line and exits non-zero (cli_errors.py).
    """


# OSErrors that mean "this disk cannot take it now", not "this path is wrong".
NO_ROOM_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


def is_write_unavailable(error: BaseException) -> bool:
    """True for an error that says the database or its disk cannot take a
    write now: any OperationalError (SQLite's "database is locked",
    "database or disk is full", "disk I/O error"; PostgreSQL's lost
    connection, lock timeout, disk full) or an OSError of a full or
    read-only disk."""
    if isinstance(error, (WriteUnavailable, OperationalError)):
        return True
    return isinstance(error, OSError) and error.errno in NO_ROOM_ERRNOS


def short_reason(error: BaseException) -> str:
    """The driver's own one-line reason ("database is locked"), no SQL, no traceback."""
    if isinstance(error, WriteUnavailable):
        return str(error)
    cause = getattr(error, "orig", None) or error  # SQLAlchemy's wrapper holds the driver's error
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror.lower()
    first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return first_line[:200]


@contextmanager
def write_transaction():
    """Run the block in one transaction that takes the write lock up front.

    Commits on success and rolls back on any exception, so a write is either
    whole or absent. Any read transaction already open in the session is
    ended first, because SQLite cannot upgrade it without risking a deadlock.
    A write the database cannot take now (see is_write_unavailable) comes
    out as WriteUnavailable, so every caller answers it the same way.
    """
    session = db.session
    try:
        session.commit()
        token = _begin_immediate.set(True)
        try:
            session.connection()  # opens the transaction now, with the flag set
        finally:
            _begin_immediate.reset(token)
    except OperationalError as error:
        session.rollback()
        raise WriteUnavailable(short_reason(error)) from error
    try:
        yield session
        session.commit()
    except BaseException as error:
        session.rollback()
        if is_write_unavailable(error) and not isinstance(error, WriteUnavailable):
            raise WriteUnavailable(short_reason(error)) from error
        raise


def database_takes_writes() -> bool | str:
    """True when the database would take a write now, else the reason.

    For /healthz. SQLite: take the write lock and give it back at once
    (BEGIN IMMEDIATE waits for the busy timeout like a real write would).
    PostgreSQL: a read-only server (a standby) cannot take one.
    """
    try:
        if db.engine.dialect.name == "sqlite":
            with write_transaction() as session:
                session.execute(text("SELECT 1"))
            return True
        read_only = db.session.execute(text("SHOW transaction_read_only")).scalar()
        db.session.rollback()
        return True if read_only == "off" else "the database is read-only"
    except Exception as error:  # any driver error means "cannot take a write", never a 500
        db.session.rollback()
        return short_reason(error)


def forget_deleted_rows() -> bool:
    """Make rows just deleted unreadable on disk; True when that is done.

    With secure_delete on, SQLite zeroes deleted content in the pages it
    writes, but in WAL mode the pages are written to the -wal file first
    and older copies of them (with the data) stay there until a checkpoint.
    A TRUNCATE checkpoint copies every page into the database file and
    empties the WAL. It cannot finish while another connection is reading
    an old snapshot; it then waits (busy timeout) and returns False.
    PostgreSQL: VACUUM is the operator's job; nothing is done here.
    """
    if db.engine.dialect.name != "sqlite":
        return True
    db.session.remove()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        busy, _log_frames, _checkpointed = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    return busy == 0


def database_now():
    """The database server's "now", as a naive UTC datetime: the one clock
    every process and host agrees on, for claim leases and due times.

    A host whose clock runs an hour ahead would otherwise take back mail a
    live worker still holds, and one an hour behind would find nothing due.
    PostgreSQL answers from its server's clock (clock_timestamp(), not the
    transaction's start). SQLite runs inside this process, on the one host
    that holds the database file, so its clock is this host's clock and the
    application's own reading is that same clock, without a query.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.scalar(text("SELECT timezone('UTC', clock_timestamp())"))
    return utcnow()


def insert_ignoring_conflicts(table, values: dict, conflict_columns: list[str]):
    """An INSERT that does nothing when a unique column already holds the value.

    Used instead of check-then-insert, which loses to a concurrent insert.
    SQLite and PostgreSQL both spell it ON CONFLICT DO NOTHING; the dialect
    decides which SQLAlchemy construct builds it.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # Callers count inserted rows with rowcount; on PostgreSQL the statement
    # also RETURNs the new key, and without this option rowcount reads -1.
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    return db.session.execute(statement, execution_options={"preserve_rowcount": True})


def for_update_skip_locked(statement):
    """`statement` (a SELECT of rows to claim) with FOR UPDATE SKIP LOCKED.

    On PostgreSQL each claimer locks the rows it picks and passes over rows
    another claimer has locked, so claimers never wait for or take each
    other's rows. SQLAlchemy leaves the clause out on SQLite, where the
    claim's BEGIN IMMEDIATE makes claimers take turns instead.
    """
    return statement.with_for_update(skip_locked=True)


@contextmanager
def foreign_keys_held_for_migration(connection):
    """Keep SQLite from cascading deletes while a migration rebuilds a table.

    Alembic's batch mode changes a SQLite table by copying it and dropping
    the old one. With foreign keys on, that DROP cascades: rebuilding
    `subscribers` deleted every row of `outgoing_mail` (the whole mail
    queue). SQLite's own advice for such changes is to turn foreign keys
    off around them and run `PRAGMA foreign_key_check` afterwards; the
    pragma only works outside a transaction, so it goes to the DBAPI
    connection before Alembic begins one. Other databases alter tables in
    place and need nothing here.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
        problems = raw.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"The migration left rows that break foreign keys: {problems[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")
