"""The SECRET_KEY: configured, or generated once for development."""
import os
import secrets
from pathlib import Path

SECRET_KEY_FILE = "secret_key"
MIN_PRODUCTION_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    pass


def ensure_secret_key(app) -> None:
    """Make sure app.config['SECRET_KEY'] is set.

    In production a missing or short key stops the app with a message saying
    how to set one: a generated key would differ between hosts and silently
    log everyone out (and break every emailed link) on each deploy.
    In development a random key is written once to instance/secret_key with
    mode 0600 and reused, so sessions and email links survive restarts.
    """
    key = app.config.get("SECRET_KEY")
    if app.config.get("ENV") == "production":
        if not key or len(str(key)) < MIN_PRODUCTION_KEY_LENGTH:
            raise ConfigurationError(
                "MIAFEED_ENV=production needs a real secret key of at least "
                f"{MIN_PRODUCTION_KEY_LENGTH} characters: set MIAFEED_SECRET_KEY in the environment "
                "or SECRET_KEY in instance/config.py (for example the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        return
    if key:
        return
    path = Path(app.instance_path) / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        app.config["SECRET_KEY"] = path.read_text().strip()
        return
    new_key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key)
    app.config["SECRET_KEY"] = new_key
