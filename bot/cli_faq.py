"""`jiesu faq check|import FILE`: the office's FAQ file (咨询答复库), answers to residents' questions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import Config
from models.faq import FaqFileError, FaqSpec, import_faq, read_file
from models.migrations import upgrade
from models.store.database import Database

ConfigOf = Callable[[argparse.Namespace], Config]


def _read(path: Path) -> tuple[FaqSpec, ...] | None:
    """The file's entries, or None with the reason on stderr."""
    try:
        return read_file(path.read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
    except UnicodeDecodeError:
        print(f"{path}: not UTF-8 text (save the file as UTF-8)", file=sys.stderr)
    except FaqFileError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
    return None


def check(path: Path) -> int:
    """Say what the file holds; 0, or 1 with what to fix."""
    specs = _read(path)
    if specs is None:
        return 1
    for s in specs:
        print(f"{s.code}: {s.questions[0]} ({len(s.questions)} questions, answer {len(s.answer)} characters)")
    print(f"{len(specs)} entries, file OK")
    return 0


def load(config: Config, path: Path) -> int:
    """Import the file in one transaction: entries added, changed ones updated, missing ones removed."""
    specs = _read(path)
    if specs is None:
        return 1
    db = Database(config.database_url)
    try:
        upgrade(db.engine)
        added, updated, removed = db.run_sync(lambda s: import_faq(s, specs))
    finally:
        db.close()
    print(f"faq imported: {added} added, {updated} updated, {removed} removed")
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    config_of: ConfigOf,
) -> None:
    """Add `jiesu faq check FILE` and `jiesu faq import FILE`."""
    parser = sub.add_parser("faq", help="the FAQ file answering residents' questions: check or import")
    fsub = parser.add_subparsers(dest="faq_command", required=True)
    chk = fsub.add_parser("check", help="check a FAQ file without touching the database")
    chk.add_argument("file", type=Path)
    chk.set_defaults(func=lambda args: check(args.file))
    imp = fsub.add_parser("import", parents=[common], help="import a FAQ file (one transaction)")
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=lambda args: load(config_of(args), args.file))
