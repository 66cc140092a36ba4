"""The exit statuses of `jiesu`, one meaning each, so a restart policy can tell them apart.

They follow BSD's sysexits.h where one fits: systemd's unit (deploy/jiesu.service) restarts on
anything but CONFIG (RestartPreventExitStatus=78), and docs/operating.md lists them.
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """What `jiesu` exits with."""

    OK = 0  # done
    FAILURE = 1  # the command ran and found a problem (a data file with errors, a failed check)
    USAGE = 2  # the command line is wrong (argparse's own status)
    TEMPORARY = 75  # EX_TEMPFAIL: the database or a chat platform cannot be reached yet; retry later
    CONFIG = 78  # EX_CONFIG: the configuration is wrong; restarting will not help, fix the file
    INTERRUPTED = 130  # Ctrl-C or a second SIGTERM


_PERMANENT = (
    "password authentication failed",
    "does not exist",
    "unable to open database file",
    "no such table",
    "permission denied",
    "role ",
)


def database_status(exc: BaseException) -> Exit:
    """TEMPORARY for a database that does not answer (yet); CONFIG for one that refuses who we are."""
    reason = str(getattr(exc, "orig", None) or exc).lower()
    return Exit.CONFIG if any(word in reason for word in _PERMANENT) else Exit.TEMPORARY
