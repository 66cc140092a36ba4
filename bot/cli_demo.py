"""`jiesu demo remove`: clear the built-in 北苑街道 demo from a database it was seeded into, while unused."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.config import Config
from models import demo
from models.migrations import upgrade
from models.refdata import forget
from models.store.database import Database
from models.store.existing import Schema, open_existing
from models.tables import Area

from .cli_territory import demo_in_use, removed_words

ConfigOf = Callable[[argparse.Namespace], Config]

NEXT_STEPS = (
    "next: import your office's files and check the set-up:\n"
    "  jiesu territory import TERRITORY.toml\n"
    "  jiesu catalogue import CATALOGUE.toml\n"
    "  jiesu staff import STAFF.toml\n"
    "  jiesu doctor"
)


def remove(config: Config, dry_run: bool) -> tuple[int, str]:
    """Remove the demo in one transaction; the exit status and what to print."""
    where = _url(config)
    db, state = open_existing(config.database_url)
    if db is None and state is Schema.MISSING:
        return 1, f"no Jiesu database at {where}: there is no demo to remove"
    if db is None:  # an older schema: bring it up to date first, as every command that writes does
        db = Database(config.database_url)
        upgrade(db.engine)
    try:
        with db.sessions() as session:
            session.begin()
            try:
                outcome = _remove(session, where)
            except BaseException:
                session.rollback()
                raise
            if isinstance(outcome, str) or dry_run:
                session.rollback()
            else:
                session.commit()
                forget(session)
    finally:
        db.close()
    if isinstance(outcome, str):
        return 1, outcome
    if dry_run:
        return (
            0,
            f"dry run: the built-in 北苑街道 demo at {where} is {removed_words(outcome)}; "
            "nothing was written",
        )
    return 0, f"removed the built-in 北苑街道 demo from {where}: {removed_words(outcome)}\n{NEXT_STEPS}"


def _remove(session: Session, where: str) -> demo.Removed | str:
    """Remove the demo; what went, or why nothing did."""
    if not demo.holds_demo(session):
        top = session.scalar(select(Area).where(Area.parent_id.is_(None)))
        held = f"subdistrict {top.code} ({top.name})" if top is not None else "no territory"
        return f"{where} holds no demo data ({held}); nothing was removed"
    try:
        return demo.remove(session)
    except demo.DemoInUse as exc:
        return f"cannot remove the demo from {where}: {demo_in_use(exc)}; nothing was removed"


def _url(config: Config) -> str:
    """The database URL without its password."""
    return make_url(config.database_url).render_as_string(hide_password=True)


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    config_of: ConfigOf,
) -> None:
    """Add `jiesu demo remove [--dry-run]`."""
    parser = sub.add_parser("demo", help="the built-in 北苑街道 demo data")
    actions = parser.add_subparsers(dest="demo_action", required=True)
    rm = actions.add_parser(
        "remove",
        parents=[common],
        help="delete the demo's areas, catalogue and grants (refused once tickets were filed)",
    )
    rm.add_argument("--dry-run", action="store_true", help="say what would be removed, write nothing")

    def run(args: argparse.Namespace) -> int:
        status, text = remove(config_of(args), bool(args.dry_run))
        print(text, file=sys.stderr if status else sys.stdout)
        return status

    rm.set_defaults(func=run)
