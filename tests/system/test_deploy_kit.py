"""The production kit under deploy/: deploy/check.sh runs systemd-analyze
verify, nginx -t and caddy validate on it; here each check runs on the
kit as shipped, and once on a copy broken on purpose, so a check that
passes everything would be noticed."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from miafeed.newsletter.frequencies import FREQUENCIES

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "deploy" / "check.sh"
TOOLS = {"systemd": "systemd-analyze", "security": "systemd-analyze", "nginx": "nginx", "caddy": "caddy"}
# CI installs these (see .ci/run); elsewhere a missing one skips its test.
REQUIRED_IN_CI = {"systemd-analyze", "nginx"}


def _run(check: str, kit: Path | None = None) -> subprocess.CompletedProcess:
    tool = TOOLS[check]
    if shutil.which(tool) is None:
        message = f"{tool} is not installed"
        if os.environ.get("CI") and tool in REQUIRED_IN_CI:
            pytest.fail(message + " (.ci/run installs it)")
        pytest.skip(message)
    env = dict(os.environ, **({"DEPLOY_DIR": str(kit)} if kit else {}))
    return subprocess.run(["bash", str(CHECK), check], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("check", ["systemd", "security", "nginx", "caddy"])
def test_the_kit_passes_its_check(check):
    result = _run(check)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok   "), result.stdout


@pytest.mark.parametrize(
    "check, file, old, new, complaint",
    [
        ("systemd", "systemd/miafeed.service", "ProtectSystem=strict", "ProtectSystm=strict", "Unknown key 'ProtectSystm'"),
        ("systemd", "systemd/miafeed-digest-weekly.timer", "miafeed-digest@weekly", "miafeed-digest@wekly", "which the kit does not have"),
        ("security", "systemd/miafeed.service", "ProtectSystem=strict", "ProtectSystem=no", "threshold 1.9"),
        ("nginx", "nginx/miafeed.conf", "gzip_static on;", "gzip_static maybe;", "invalid value \"maybe\""),
        ("caddy", "caddy/Caddyfile", "precompressed br gzip", "precompresed br gzip", "precompresed"),
    ],
)
def test_a_broken_kit_fails_its_check(tmp_path, check, file, old, new, complaint):
    kit = tmp_path / "deploy"
    shutil.copytree(ROOT / "deploy", kit)
    target = kit / file
    text = target.read_text()
    assert old in text
    # The security score needs more than one option loosened to cross 1.9.
    if check == "security":
        text = text.replace("PrivateUsers=yes", "").replace("SystemCallFilter=@system-service", "")
        text = text.replace("RestrictNamespaces=yes", "").replace("CapabilityBoundingSet=\n", "\n")
    target.write_text(text.replace(old, new))
    result = _run(check, kit)
    assert result.returncode == 1
    assert "FAIL" in result.stdout and complaint in result.stdout, result.stdout


def _directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        match = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return found


@pytest.mark.parametrize("unit", ["miafeed.service", "miafeed-digest@.service", "miafeed-mail.service", "miafeed-backup.service",
                                  "miafeed-bounces.service"])
def test_every_service_runs_as_the_site_user_in_a_sandbox_writing_only_instance(unit):
    directives = _directives(ROOT / "deploy" / "systemd" / unit)
    assert directives["User"] == ["miafeed"]
    assert directives["ProtectSystem"] == ["strict"]
    # instance/, and the optional folders the documented options write (README, Deployment).
    # deploy/site's shared/instance/; the web service also writes its pid file and log.
    web = "/srv/miafeed/run /srv/miafeed/log " if unit == "miafeed.service" else ""
    assert directives["ReadWritePaths"] == [
        f"/srv/miafeed/shared/instance {web}-/var/lib/miafeed -/var/backups/miafeed"]
    # Every unit runs the release `current` points at.
    assert all(command.startswith("/srv/miafeed/current/.venv/bin/") for command in directives["ExecStart"])
    for flag in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices"):
        assert directives[flag] == ["yes"], flag
    assert directives["CapabilityBoundingSet"] == [""]
    assert directives["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]
    assert "@system-service" in directives["SystemCallFilter"]


def test_timers_send_each_digest_frequency_deliver_mail_and_back_up():
    timers = {path.name: _directives(path) for path in (ROOT / "deploy" / "systemd").glob("*.timer")}
    units = {name: directives["Unit"][0] for name, directives in timers.items()}
    # One timer per frequency the site offers (newsletter/frequencies.py), and no other.
    assert units == {
        **{f"miafeed-digest-{name}.timer": f"miafeed-digest@{name}.service" for name in FREQUENCIES},
        "miafeed-mail.timer": "miafeed-mail.service",
        "miafeed-bounces.timer": "miafeed-bounces.service",
        "miafeed-backup.timer": "miafeed-backup.service",
    }
    digest = _directives(ROOT / "deploy" / "systemd" / "miafeed-digest@.service")
    assert digest["ExecStart"] == ["/srv/miafeed/current/.venv/bin/flask --app wsgi digest send --frequency %i"]
