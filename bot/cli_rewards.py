"""`jiesu rewards check|import FILE`: the 积分回馈 rewards file (items, points, stock, provider)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import Config
from models.migrations import upgrade
from models.rewards import RewardFileError, RewardSpec, import_rewards, read_file
from models.store.database import Database

ConfigOf = Callable[[argparse.Namespace], Config]


def _read(path: Path) -> list[RewardSpec] | None:
    """The file's rewards, or None with the reason on stderr."""
    try:
        return read_file(path.read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
    except UnicodeDecodeError:
        print(f"{path}: not UTF-8 text (save the file as UTF-8)", file=sys.stderr)
    except RewardFileError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
    return None


def check(path: Path) -> int:
    """Say what the file holds; 0, or 1 with what to fix."""
    specs = _read(path)
    if specs is None:
        return 1
    for s in specs:
        print(
            f"{s.code}: {s.name}, {s.points} points, {s.stock} in stock"
            + (f", from {s.provider}" if s.provider else "")
        )
    print(f"{len(specs)} rewards, file OK")
    return 0


def load(config: Config, path: Path) -> int:
    """Import the file in one transaction: new rewards added, known ones restocked, missing ones withdrawn."""
    specs = _read(path)
    if specs is None:
        return 1
    db = Database(config.database_url)
    try:
        upgrade(db.engine)
        added, updated = db.run_sync(lambda s: import_rewards(s, specs))
    finally:
        db.close()
    print(f"rewards imported: {added} added, {updated} updated")
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    config_of: ConfigOf,
) -> None:
    """Add `jiesu rewards check FILE` and `jiesu rewards import FILE`."""
    parser = sub.add_parser("rewards", help="the 积分回馈 rewards file: check or import")
    rsub = parser.add_subparsers(dest="rewards_command", required=True)
    chk = rsub.add_parser("check", help="check a rewards file without touching the database")
    chk.add_argument("file", type=Path)
    chk.set_defaults(func=lambda args: check(args.file))
    imp = rsub.add_parser("import", parents=[common], help="import a rewards file (one transaction)")
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=lambda args: load(config_of(args), args.file))
