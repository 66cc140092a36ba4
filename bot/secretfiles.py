"""Secrets from the environment or from files (`JIESU_X_FILE`, as container platforms mount them).

Every secret Jiesu reads from the environment may instead be given as a path in the same name with
`_FILE` appended; the file's content, without its trailing newline, is the value. A value set
directly wins over a file. (Named secretfiles, not secrets, so it never shadows the standard module.)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Every secret and where it goes; docs/operating.md ("Secrets") has one row each.
SECRETS: dict[str, str] = {
    "JIESU_DATABASE_URL": "[database] url (holds the database password)",
    "JIESU_TELEGRAM_TOKEN": "[telegram] token",
    "JIESU_TELEGRAM_SECRET_TOKEN": "[telegram] secret_token",
    "JIESU_WECHAT_TOKEN": "[wechat] token",
    "JIESU_WECHAT_APP_SECRET": "[wechat] app_secret",
    "JIESU_WECHAT_AES_KEY": "[wechat] encoding_aes_key",
    "JIESU_WEB_SECRET": "[web] secret",
    "JIESU_METRICS_TOKEN": "[metrics] token",
    "JIESU_OPEN311_API_KEYS": "[open311] api_keys, as name=key,name=key (added to the file's)",
}
# Keys of the config file that hold a secret: doctor warns when the file is readable by everyone.
SECRET_KEYS: tuple[tuple[str, str], ...] = (
    ("database", "url"),
    ("telegram", "token"),
    ("telegram", "secret_token"),
    ("wechat", "token"),
    ("wechat", "app_secret"),
    ("wechat", "encoding_aes_key"),
    ("web", "secret"),
    ("metrics", "token"),
    ("open311", "api_keys"),
)
WEB_SECRET_HELP = (
    "[web] secret is required when the web office is on ([web] base_url): it signs the sign-in "
    "cookies and CSRF tokens, so it must stay the same across restarts and processes; set "
    "JIESU_WEB_SECRET (or JIESU_WEB_SECRET_FILE) to 64 random characters, e.g. the output of "
    "`python3 -c 'import secrets; print(secrets.token_hex(32))'`"
)


class SecretFileError(ValueError):
    """A `_FILE` variable names a file that cannot be read."""


def with_file_secrets(env: dict[str, str]) -> dict[str, str]:
    """The environment with each `JIESU_X_FILE` read into `JIESU_X` (unless `JIESU_X` is set)."""
    out = dict(env)
    for name, path in env.items():
        if not (name.startswith("JIESU_") and name.endswith("_FILE")) or not path:
            continue
        target = name.removesuffix("_FILE")
        if out.get(target):
            continue
        try:
            out[target] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise SecretFileError(f"{name}: cannot read {path}: {exc.strerror or exc}") from None
    return out


def world_readable(path: str | os.PathLike[str]) -> bool:
    """Tell whether every user of the machine may read the file."""
    return bool(Path(path).stat().st_mode & stat.S_IROTH)


def secrets_in_file(raw: dict[str, object]) -> list[str]:
    """The secret keys (`section.key`) that a parsed config file sets."""
    found = []
    for section, key in SECRET_KEYS:
        table = raw.get(section)
        if isinstance(table, dict) and table.get(key):
            found.append(f"{section}.{key}")
    return found
