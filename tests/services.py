"""Throwaway PostgreSQL, Redis and Dovecot (IMAP) servers from Debian's packages, for tests and CI.

Each server keeps everything (data, socket, log) in one temporary folder,
listens on a unix socket only (no port to collide with anything else on
the machine), and is stopped and deleted afterwards. PostgreSQL refuses
to run as root, so when we are root the cluster runs as the `postgres`
user that Debian's package creates.

As a script it wraps a command:

    python tests/services.py postgres -- python -m pytest

starts a cluster, runs the command with MIAFEED_TEST_DATABASE_URL pointing at
it, stops the cluster and exits with the command's status. When
MIAFEED_TEST_DATABASE_URL is already set, it runs the command against that
server instead and starts nothing.
"""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("MIAFEED_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class ServiceMissing(RuntimeError):
    """The server's program is not installed (`.ci/run` installs it)."""


@dataclass
class Postgres:
    """A running throwaway cluster; `url` reaches its `postgres` database."""

    folder: Path
    socket_dir: Path
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@/postgres?host={self.socket_dir}"

    def stop(self) -> None:
        _run_as(self.user, [str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"],
                check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _run_as(user: str | None, command: list[str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, user=user, check=check, capture_output=True, text=True, cwd="/")


def start_postgres() -> Postgres:
    """initdb + pg_ctl start in a new temporary folder; tuned for tests
    (no fsync: a crash only loses a database we throw away anyway)."""
    if not (PG_BIN / "initdb").exists():
        raise ServiceMissing(f"{PG_BIN}/initdb is missing: apt-get install postgresql-15")
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="miafeed-pg-"))
    socket_dir = folder / "socket"
    socket_dir.mkdir()
    if user:
        entry = pwd.getpwnam(user)
        for path in (folder, socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    data = folder / "data"
    try:
        _run_as(user, [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                       "-E", "UTF8", "--locale=C", "--no-sync"])
        options = " ".join([
            f"-k {socket_dir}", "-c listen_addresses=''", "-c fsync=off", "-c synchronous_commit=off",
            "-c full_page_writes=off", "-c max_connections=300", "-c shared_buffers=64MB",
        ])
        _run_as(user, [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"),
                       "-w", "-t", "60", "start"])
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr or exc.stdout}") from exc
    return Postgres(folder=folder, socket_dir=socket_dir, user=user)


@dataclass
class Redis:
    """A running throwaway redis-server on a unix socket."""

    folder: Path
    process: subprocess.Popen

    @property
    def socket(self) -> Path:
        return self.folder / "redis.sock"

    @property
    def url(self) -> str:
        return f"redis+unix://{self.socket}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_redis() -> Redis:
    """redis-server with no persistence, on a socket in a new temporary folder."""
    if not Path(REDIS_SERVER).exists():
        raise ServiceMissing("redis-server is missing: apt-get install redis-server")
    folder = Path(tempfile.mkdtemp(prefix="miafeed-redis-"))
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", "0", "--unixsocket", str(folder / "redis.sock"), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = Redis(folder=folder, process=process)
    deadline = time.monotonic() + 20
    while not server.socket.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    return server


DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
IMAP_USER, IMAP_PASSWORD = "bounces", "imap-test-password"

_DOVECOT_CONF = """\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_location = maildir:{folder}/home/%u/Maildir
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    """A running throwaway Dovecot IMAP server on 127.0.0.1:`port`, one
    mailbox user (IMAP_USER / IMAP_PASSWORD), plain IMAP (no TLS)."""

    folder: Path
    port: int
    user: str | None
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_dovecot(port: int) -> Dovecot:
    """Dovecot in the foreground with its own config in a new temporary folder,
    as a non-root user (Debian's `dovecot` user when we are root)."""
    if not Path(DOVECOT).exists():
        raise ServiceMissing("dovecot is missing: apt-get install dovecot-imapd")
    user = "dovecot" if os.geteuid() == 0 else None
    entry = pwd.getpwnam(user) if user else pwd.getpwuid(os.geteuid())
    folder = Path(tempfile.mkdtemp(prefix="miafeed-imap-"))
    for name in ("run", "state", "home"):
        (folder / name).mkdir()
    config = folder / "dovecot.conf"
    config.write_text(_DOVECOT_CONF.format(
        folder=folder, user=entry.pw_name, group=grp.getgrgid(entry.pw_gid).gr_name, uid=entry.pw_uid,
        gid=entry.pw_gid, password=IMAP_PASSWORD, port=port))
    if user:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    # The group too: Dovecot hands its folders to its internal user's group.
    as_user = {"user": user, "group": entry.pw_gid, "extra_groups": []} if user else {}
    # Its own complaints go to dovecot.log (log_path); what comes before that is set up is in start.log.
    with open(folder / "start.log", "wb") as start_log:
        process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], cwd="/", **as_user,
                                   stdout=subprocess.DEVNULL, stderr=start_log)
    server = Dovecot(folder=folder, port=port, user=user, process=process)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            logs = "".join(path.read_text(errors="replace") for path in (folder / "start.log", folder / "dovecot.log")
                           if path.exists())
            server.stop()
            raise RuntimeError(f"dovecot did not start: {logs}")
        time.sleep(0.05)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "postgres" or argv[1] != "--":
        print("usage: python tests/services.py postgres -- COMMAND...", file=sys.stderr)
        return 2
    command = argv[2:]
    if os.environ.get("MIAFEED_TEST_DATABASE_URL"):
        return subprocess.call(command)
    server = start_postgres()
    print(f"Throwaway PostgreSQL in {server.folder}", flush=True)
    try:
        return subprocess.call(command, env=dict(os.environ, MIAFEED_TEST_DATABASE_URL=server.url))
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
