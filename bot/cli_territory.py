"""`jiesu territory|catalogue|staff check|import FILE`, and the start-up check for an empty database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Config
from handlers.moving import move_to_area, move_to_category
from handlers.notify import unit_of_work
from models import demo
from models.clock import SystemClock
from models.datafiles import catalogue_file, staff_file, territory_file
from models.datafiles.importing import Report, import_catalogue, import_territory, live_departments
from models.datafiles.problems import DataFileError, Problem
from models.datafiles.staff_import import import_staff
from models.migrations import upgrade
from models.refdata import forget
from models.security_log import SecurityKind, record
from models.store.database import Database
from models.store.existing import open_existing
from models.store.unit_of_work import Unit
from models.tables import Area, Category

ConfigOf = Callable[[argparse.Namespace], Config]
T = TypeVar("T")

NOT_READY = (
    "This database has no {missing} and [subdistrict] demo = false, so no report could be filed.\n"
    "Import your office's files first:\n"
    "  jiesu territory import TERRITORY.toml\n"
    "  jiesu catalogue import CATALOGUE.toml\n"
    "  jiesu staff import STAFF.toml        (optional)\n"
    "(check them first with `jiesu territory check FILE`; examples/beiyuan/ has complete examples),\n"
    "or set [subdistrict] demo = true to try the built-in 北苑街道 demo."
)
HALF_IMPORTED = (
    "This database has a {have} but no {missing}, so no report could be filed "
    "(the built-in demo is loaded only into an empty database).\n"
    "Import it:\n"
    "  jiesu {kind} import {file}\n"
    "(check it first with `jiesu {kind} check {file}`; examples/beiyuan/ has a complete example)."
)
RESIDENTS_EMPTY = (
    "`jiesu run` with a chat channel serves residents, so it does not load the built-in 北苑街道 demo "
    "(only [subdistrict] demo = true makes it), and this database has no {missing}.\n"
    "Import your office's files first:\n"
    "  jiesu territory import TERRITORY.toml\n"
    "  jiesu catalogue import CATALOGUE.toml\n"
    "  jiesu staff import STAFF.toml        (optional)\n"
    "then check the whole set-up with `jiesu doctor` (docs/going-live.md walks through it).\n"
    "To try Jiesu without files of your own, run: jiesu console"
)
RESIDENTS_DEMO = (
    "This database holds the built-in 北苑街道 demo, and `jiesu run` with a chat channel serves residents.\n"
    "Clear the demo and import your office's files:\n"
    "  jiesu demo remove\n"
    "  jiesu territory import TERRITORY.toml\n"
    "  jiesu catalogue import CATALOGUE.toml\n"
    "(or in one step: jiesu territory import TERRITORY.toml --replace-demo),\n"
    "or write [subdistrict] demo = true to serve the demo on this channel."
)


def serves_residents(config: Config) -> bool:
    """Whether `jiesu run` would talk to residents on a chat channel (Telegram or WeChat)."""
    return bool(config.telegram.token or config.wechat.token)


def not_ready(config: Config, *, residents: bool = False) -> str | None:
    """Why the bot cannot take a report on this database (None: it can, or the demo will seed it).

    The demo fills only an empty database, and with `residents` (`jiesu run` on a chat channel)
    only when the file says `demo = true`: a real channel never starts on the demo by default.
    """
    seeds = config.seed_demo and (config.demo_given or not residents)
    db = Database(config.database_url)
    try:
        upgrade(db.engine)

        def counts(s: Session) -> tuple[int, int, bool]:
            areas = s.scalar(select(func.count()).select_from(Area).where(Area.retired.is_(False))) or 0
            cats = (
                s.scalar(select(func.count()).select_from(Category).where(Category.retired.is_(False))) or 0
            )
            return areas, cats, demo.holds_demo(s)

        areas, cats, holds = db.run_sync(counts)
    finally:
        db.close()
    if residents and holds and not config.demo_given:
        return RESIDENTS_DEMO
    missing = [w for w, n in (("territory", areas), ("service catalogue", cats)) if not n]
    if not missing or (seeds and len(missing) == 2):
        return None  # ready, or the demo will be seeded into this empty database
    if not config.seed_demo:
        return NOT_READY.format(missing=" and no ".join(missing))
    if len(missing) == 1:
        kind = "territory" if not areas else "catalogue"
        have = "territory" if areas else "service catalogue"
        return HALF_IMPORTED.format(have=have, missing=missing[0], kind=kind, file=f"{kind.upper()}.toml")
    return RESIDENTS_EMPTY.format(missing=" and no ".join(missing))


def _problems(problems: list[Problem], err: TextIO) -> None:
    for p in problems:
        err.write(f"{p}\n")


def _summary_territory(checked: territory_file.Checked, out: TextIO) -> None:
    t = checked.territory
    grids = t.grids()
    with_boundary = [g.code for _, g in grids if g.boundary is not None]
    with_names = [g.code for _, g in grids if g.names]
    datum = f"{t.drawn_in}, converted to {t.datum}" if t.drawn_in else str(t.datum)
    out.write(f"{t.path}: subdistrict {t.code} ({t.name}), drawn in {datum}\n")
    out.write(
        f"  {len(t.departments)} departments, {len(t.communities)} communities, {len(grids)} grids "
        f"({len(with_boundary)} with a boundary, {len(with_names)} with names)\n"
    )
    missing_boundary = [g.code for _, g in grids if g.boundary is None]
    missing_names = [g.code for _, g in grids if not g.names]
    out.write(f"  grids without a boundary: {', '.join(missing_boundary) or 'none'}\n")
    out.write(f"  grids without names: {', '.join(missing_names) or 'none'}\n")
    out.write("  overlapping polygons: none\n")
    owned = [f"{d.code}: {', '.join(d.categories) or '-'}" for d in t.departments]
    out.write(f"  categories owned: {'; '.join(owned) or 'none'}\n")
    firms = [f"{f.code} ({len(f.compounds)} compounds, {len(f.staff)} staff)" for f in t.companies]
    out.write(f"  property companies: {'; '.join(firms) or 'none'}\n")


def _summary_catalogue(checked: catalogue_file.CheckedCatalogue, out: TextIO) -> None:
    nodes = checked.catalogue.nodes
    by_depth = [sum(1 for n in nodes if n.depth == d) for d in range(3)]
    out.write(
        f"{checked.catalogue.path}: {by_depth[0]} categories, {by_depth[1]} items, {by_depth[2]} sub-items\n"
    )
    urgent = [n.code for n in nodes if n.urgent]
    no_deadline = [n.code for n in nodes if n.tier == "none"]
    catch_all = [n.code for n in nodes if n.catch_all]
    out.write(f"  urgent: {', '.join(urgent) or 'none'}\n")
    out.write(f"  no deadline: {', '.join(no_deadline) or 'none'}\n")
    out.write(f"  catch-all (兜底): {', '.join(catch_all)}\n")
    first = sum(1 for n in nodes if n.first)
    out.write(f"  to the property company first: {first} of {len(nodes)}\n")


def _print_report(report: Report, path: Path, dry_run: bool, out: TextIO) -> None:
    for line in report.lines:
        out.write(f"  {line}\n")
    if not report.changed:
        out.write(f"nothing to change: the database already matches {path}\n")
    elif dry_run:
        out.write(f"dry run: {len(report.lines)} changes listed, nothing was written\n")
    else:
        out.write(f"imported {path}: {len(report.lines)} changes\n")


def _in_transaction(config: Config, dry_run: bool, work: Callable[[Unit], Report], what: str) -> Report:
    """Run an import in one transaction (logged as `what`): committed, or rolled back for a dry run."""
    db = Database(config.database_url)
    try:
        upgrade(db.engine)
        with db.sessions() as session:
            session.begin()
            try:
                # The announcing unit: a ticket moved off a retired area is told like a /move.
                u = unit_of_work(session, SystemClock().now(), config.rules)
                report = work(u)
                record(u.session, u.now, SecurityKind.CONFIG_IMPORTED, source="cli", detail=what)
                session.flush()
            except BaseException:
                session.rollback()
                raise
            if dry_run:
                session.rollback()
            else:
                session.commit()
                forget(session)
        return report
    finally:
        db.close()


def _from_existing(config: Config, read: Callable[[Unit], T]) -> T | None:
    """Read the configured database if it exists with the current schema; never create or migrate it."""
    db, _ = open_existing(config.database_url)
    if db is None:
        return None
    try:
        return db.run_sync(lambda s: read(Unit(s, SystemClock().now(), config.rules)))
    finally:
        db.close()


def _from_database(config: Config, read: Callable[[Unit], T]) -> T:
    """Read the configured database, creating or migrating it first (an import writes to it anyway)."""
    db = Database(config.database_url)
    try:
        upgrade(db.engine)
        return db.run_sync(lambda s: read(Unit(s, SystemClock().now(), config.rules)))
    finally:
        db.close()


def _departments_for(
    config: Config, territory: str | None, importing: bool
) -> dict[str, tuple[str, ...]] | None:
    """Departments to check a catalogue against: from a territory file, else from the database.

    A check reads only a database that is already there: it never creates one."""
    if territory is not None:
        t = territory_file.parse(Path(territory)).territory
        return {d.code: d.categories for d in t.departments}
    if importing:
        return _from_database(config, live_departments)
    return _from_existing(config, live_departments)


def _live_codes(u: Unit) -> frozenset[str] | None:
    """Codes of the live areas (None: no territory imported)."""
    codes = frozenset(a.code for a in u.session.scalars(select(Area).where(Area.retired.is_(False))))
    return codes or None


def _scopes_for(config: Config, territory: str | None, importing: bool) -> frozenset[str] | None:
    """Area codes a staff file's scopes must name: from a territory file, else from the database."""
    if territory is not None:
        t = territory_file.parse(Path(territory)).territory
        codes = {t.code} | {d.code for d in t.departments}
        for cm, g in t.grids():
            codes |= {cm.code, g.code}
        return frozenset(codes)
    if importing:
        return _from_database(config, _live_codes)
    return _from_existing(config, _live_codes) or None


def _import_territory(
    u: Unit, path: Path, t: territory_file.Territory, move_to: str | None, replace_demo: bool
) -> Report:
    """Import a territory, first clearing the demo when asked; over the demo, say how to clear it."""
    lines: list[str] = []
    holds = demo.holds_demo(u.session)
    if replace_demo:
        if not holds:
            raise DataFileError(
                [
                    Problem(
                        str(path), "--replace-demo", "demo", "this database holds no demo data; drop the flag"
                    )
                ]
            )
        try:
            removed = demo.remove(u.session)
        except demo.DemoInUse as exc:
            raise DataFileError([Problem(str(path), "--replace-demo", "demo", demo_in_use(exc))]) from None
        lines.append(f"remove the built-in demo: {removed_words(removed)}")
    elif holds:
        top = u.session.scalar(select(Area).where(Area.parent_id.is_(None)))
        if top is not None and top.code != t.code:
            raise DataFileError(
                [
                    Problem(
                        str(path),
                        "[subdistrict]",
                        "code",
                        f"this database holds the built-in demo subdistrict {top.code!r} ({top.name}), "
                        "seeded by a start without [subdistrict] demo = false; clear it with "
                        "`jiesu demo remove`, or import with --replace-demo",
                    )
                ]
            )
    report = import_territory(u, t, move_to, move_to_area)
    if holds and not replace_demo:
        demo.unmark(u.session)  # the office's own file, under the demo's code: its data from now on
    report.lines[:0] = lines
    return report


def removed_words(r: demo.Removed) -> str:
    """What a demo removal took away, in one line."""
    return (
        f"{r.areas} areas, {r.categories} categories, {r.grants} role grants, {r.bindings} chat bindings, "
        f"{r.invites} staff invitations, {r.dialogs} conversations"
    )


def demo_in_use(exc: demo.DemoInUse) -> str:
    """Why the demo cannot be removed, and what to do instead."""
    return (
        f"the demo was used: {exc.tickets} tickets were filed on this database, so its data stays; "
        "start your office on a new database ([database] url, JIESU_DATABASE_URL or --db)"
    )


def cmd(config_of: ConfigOf) -> Callable[[argparse.Namespace], int]:
    """The function behind every territory / catalogue / staff sub-command."""

    def run(args: argparse.Namespace) -> int:
        out, err = sys.stdout, sys.stderr
        path = Path(args.file)
        try:
            return _dispatch(args, config_of, path, out)
        except DataFileError as exc:
            _problems(exc.problems, err)
            err.write(f"{path}: not imported, nothing was written ({len(exc.problems)} problems)\n")
            return 1

    return run


def _dispatch(args: argparse.Namespace, config_of: ConfigOf, path: Path, out: TextIO) -> int:
    kind, action = args.data_kind, args.data_action
    importing = action == "import"
    dry_run = bool(getattr(args, "dry_run", False))
    move_to = getattr(args, "move_open_to", None)
    if kind == "territory":
        checked = territory_file.parse(path)
        _warnings(checked.collector.problems, out)
        if not importing:
            _summary_territory(checked, out)
            return 0
        t = checked.territory
        replace_demo = bool(getattr(args, "replace_demo", False))
        report = _in_transaction(
            config_of(args),
            dry_run,
            lambda u: _import_territory(u, path, t, move_to, replace_demo),
            f"territory {path}",
        )
    elif kind == "catalogue":
        config = config_of(args)
        departments = _departments_for(config, getattr(args, "territory", None), importing)
        cat = catalogue_file.parse(path, departments)
        _warnings(cat.collector.problems, out)
        if not importing:
            _summary_catalogue(cat, out)
            return 0
        c = cat.catalogue
        report = _in_transaction(
            config, dry_run, lambda u: import_catalogue(u, c, move_to, move_to_category), f"catalogue {path}"
        )
    else:
        config = config_of(args)
        staff = staff_file.parse(path, _scopes_for(config, getattr(args, "territory", None), importing))
        _warnings(staff.collector.problems, out)
        if not importing:
            out.write(f"{path}: {len(staff.people)} people\n")
            return 0
        people = staff.people
        report = _in_transaction(config, dry_run, lambda u: import_staff(u, path, people), f"staff {path}")
    _print_report(report, path, dry_run, out)
    return 0


def _warnings(problems: list[Problem], out: TextIO) -> None:
    for p in problems:
        if p.warning:
            out.write(f"{p}\n")


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    config_of: ConfigOf,
) -> None:
    """Add `territory`, `catalogue` and `staff`, each with `check FILE` and `import FILE`."""
    helps = {
        "territory": "the territory file: communities, grids, departments",
        "catalogue": "the service catalogue file: categories, items, sub-items",
        "staff": "the staff file: grid workers and admins with their scopes",
    }
    for kind, text in helps.items():
        parser = sub.add_parser(kind, help=text)
        actions = parser.add_subparsers(dest="data_action", required=True)
        check = actions.add_parser("check", parents=[common], help="validate the file and print a summary")
        check.add_argument("file")
        imp = actions.add_parser("import", parents=[common], help="bring the database in line with the file")
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
        if kind in ("territory", "catalogue"):
            imp.add_argument(
                "--move-open-to",
                metavar="CODE",
                help="where the open tickets of a retired "
                + ("grid, community or department" if kind == "territory" else "category")
                + " go",
            )
        if kind == "territory":
            imp.add_argument(
                "--replace-demo",
                action="store_true",
                help="first remove the built-in demo data (refused once tickets were filed on it)",
            )
        if kind in ("catalogue", "staff"):
            checked_codes = "department codes" if kind == "catalogue" else "scopes"
            for p in (check, imp):
                p.add_argument(
                    "--territory",
                    help=f"check {checked_codes} against this territory file (default: the database, if any)",
                )
        for p in (check, imp):
            p.set_defaults(func=cmd(config_of), data_kind=kind)
