"""Jiesu's version: the one place it is written (pyproject.toml reads it from here)."""

from __future__ import annotations

__version__ = "0.2.0.dev0"


def describe() -> str:
    """'jiesu 0.2.0 (Python 3.11.9)': the line `jiesu --version` prints and the start-up log carries."""
    import platform

    return f"jiesu {__version__} (Python {platform.python_version()})"
