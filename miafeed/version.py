"""The code's version: the package version, plus the git commit when the
code is a git checkout ("0.1.0+g1a2b3c4d5e6f").

Every host must run the same code (docs: rolling deploys); /healthz,
`flask version` and the hosts table (`flask stats`) show this string so a
host left behind is seen. Read once per process and from files only (no
`git` process): a release built by deploy/site carries a VERSION file;
otherwise HEAD, then the ref it names, loose or packed, following a
worktree's `.git` file to its git directory. A tree with neither reports
the package version alone.

`code_matches_disk` reads the same files again: a worker whose code was
loaded from one version while the files beside it now say another (a
checkout pulled in place under a running site) must not be sent readers.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMMIT_LENGTH = 12
# Written by deploy/site into each release (no .git there).
VERSION_FILE = "VERSION"


@lru_cache(maxsize=1)
def code_version() -> str:
    """The version this process loaded: "<package version>+g<commit>"."""
    return version_on_disk(PROJECT_ROOT)


def version_on_disk(root: Path) -> str:
    """What the files at `root` say the version is, read now."""
    try:
        written = (root / VERSION_FILE).read_text().strip()
    except (OSError, UnicodeDecodeError):
        written = ""
    if written:
        return written
    try:
        package = metadata.version("miafeed")
    except metadata.PackageNotFoundError:
        package = "0+unknown"
    commit = git_commit(root)
    return f"{package}+g{commit[:COMMIT_LENGTH]}" if commit else package


def code_matches_disk() -> dict:
    """The /healthz "code" check: "ok" when the files this process was
    loaded from still say the version it loaded, else "stale" (503)."""
    on_disk = version_on_disk(PROJECT_ROOT)
    loaded = code_version()
    if on_disk == loaded:
        return {"status": "ok", "version": loaded}
    return {"status": "stale", "version": loaded, "on_disk": on_disk}


def git_commit(root: Path) -> str | None:
    """The full commit id checked out at `root`, or None when it cannot be read."""
    try:
        git_dir = _git_dir(root / ".git")
        if git_dir is None:
            return None
        head = (git_dir / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head if _is_commit_id(head) else None  # a detached HEAD
        return _resolve_ref(git_dir, head[5:].strip())
    except (OSError, UnicodeDecodeError):
        return None


def _git_dir(dot_git: Path) -> Path | None:
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = dot_git.read_text().strip()
        if text.startswith("gitdir: "):
            target = Path(text[8:])
            return target if target.is_absolute() else (dot_git.parent / target).resolve()
    return None


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    # A worktree keeps HEAD itself but its branches in the common directory.
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    for folder in dict.fromkeys((git_dir, common)):
        loose = folder / ref
        if loose.is_file():
            value = loose.read_text().strip()
            return value if _is_commit_id(value) else None
        packed = folder / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                parts = line.split(" ", 1)
                if len(parts) == 2 and parts[1] == ref and _is_commit_id(parts[0]):
                    return parts[0]
    return None


def _is_commit_id(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)
