"""`jiesu hotline import|results|replies`: the city's 12345 dispatch list in, 回访 results in, replies out."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO, TypeVar
from zoneinfo import ZoneInfo

from bot.config import Config
from handlers import hotline
from handlers.notify import unit_of_work
from models.clock import Clock, SystemClock
from models.hotline_orders import Intake, Visit
from models.hotline_rows import FileError, Problem, load_mapping, read_file, read_visits
from models.migrations import upgrade
from models.refdata import forget
from models.store.database import Database
from models.store.unit_of_work import Unit

ConfigOf = Callable[[argparse.Namespace], Config]
T = TypeVar("T")
SHOWN_PROBLEMS = 50  # the first problems printed; the count says how many more
CLOCK: Clock = SystemClock()  # tests set the harness's fake clock


def in_transaction(
    config: Config, dry_run: bool, work: Callable[[Unit], T], commit: Callable[[T], bool]
) -> T:
    """Run work in one transaction, committed only when commit(result) says so and it is no dry run."""
    db = Database(config.database_url)
    try:
        upgrade(db.engine)
        with db.sessions() as session:
            session.begin()
            try:
                result = work(unit_of_work(session, CLOCK.now(), config.rules))
                session.flush()
            except BaseException:
                session.rollback()
                raise
            if dry_run or not commit(result):
                session.rollback()
            else:
                session.commit()
                forget(session)
        return result
    finally:
        db.close()


def _problems(problems: list[Problem], err: TextIO) -> None:
    for p in problems[:SHOWN_PROBLEMS]:
        err.write(f"  {p}\n")
    if len(problems) > SHOWN_PROBLEMS:
        err.write(f"  … and {len(problems) - SHOWN_PROBLEMS} more\n")


def cmd_import(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """jiesu hotline import FILE."""
    path = Path(args.file)
    try:
        mapping = load_mapping(Path(args.mapping) if args.mapping else None)
        read = read_file(path, mapping, config.rules.limits, ZoneInfo(config.rules.sla.timezone), args.sheet)
    except FileError as exc:
        err.write(f"error: {exc}\nnothing was imported\n")
        return 2
    if read.problems:
        rows = sorted(read.bad_rows)
        err.write(f"{path}: {len(rows)} rows need fixing:\n")
        _problems(read.problems, err)
        if not args.good_rows:
            err.write("nothing was imported; fix these rows, or pass --good-rows to import only the others\n")
            return 1
    source = f"file:{path.name}"[:80]
    result = in_transaction(
        config,
        args.dry_run,
        lambda u: hotline.intake(u, read, source, mapping, good_rows=args.good_rows),
        lambda r: r is not None and bool(r.created),
    )
    assert result is not None
    _summary(result, out, dry_run=args.dry_run, skipped=len(read.bad_rows))
    return 0


def _summary(result: Intake, out: TextIO, *, dry_run: bool, skipped: int) -> None:
    verb = "would import" if dry_run else "imported"
    out.write(f"{verb} {len(result.created)} new orders; {len(result.known)} already imported (unchanged)\n")
    if skipped:
        out.write(f"{skipped} rows with problems were left out (--good-rows)\n")
    if result.unrouted:
        ids = ", ".join(f"#{i}" for i in result.unrouted[:20])
        out.write(
            f"{len(result.unrouted)} addresses matched no single grid, sent to the dispatchers: {ids}\n"
        )
    for city, code in sorted(result.fell_back.items()):
        out.write(f"category {city!r} is not in the catalogue or the mapping: filed as {code!r}\n")
    if not result.created and not dry_run:
        out.write("nothing changed\n")
    if dry_run:
        out.write("dry run: nothing was written\n")


def cmd_results(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """jiesu hotline results FILE: record the city's 回访; a file with a bad row records nothing."""
    path = Path(args.file)
    try:
        rows, problems = read_visits(path, args.sheet)
    except FileError as exc:
        err.write(f"error: {exc}\nnothing was recorded\n")
        return 2
    if problems:
        err.write(f"{path}: {len({p.row for p in problems})} rows need fixing:\n")
        _problems(problems, err)
        err.write("nothing was recorded\n")
        return 1
    visits = [(r.row, Visit(r.number, r.responded, r.resolved, r.satisfied)) for r in rows]
    result = in_transaction(
        config, args.dry_run, lambda u: hotline.record_results(u, visits), lambda r: not r.problems
    )
    if result.problems:
        err.write(f"{path}: {len(result.problems)} results cannot be recorded:\n")
        _problems(result.problems, err)
        err.write("nothing was recorded\n")
        return 1
    verb = "would record" if args.dry_run else "recorded"
    out.write(
        f"{verb} {len(result.recorded)} 回访 results; {len(result.unchanged)} already recorded (unchanged)\n"
    )
    return 0


def _since(value: str, zone: ZoneInfo) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), time(0), zone)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-12-01, got {value!r}") from None


def cmd_replies(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """jiesu hotline replies --since DATE: the replies as an xlsx the terminal takes back."""
    zone = ZoneInfo(config.rules.sla.timezone)
    try:
        since = _since(args.since, zone)
    except argparse.ArgumentTypeError as exc:
        err.write(f"error: --since: {exc}\n")
        return 2
    rows = in_transaction(config, True, lambda u: hotline.replies(u, since), lambda r: False)
    target = Path(args.out or f"replies-{args.since}.xlsx")
    write_replies(rows, target, zone)
    out.write(f"wrote {len(rows)} replies to {target}\n")
    return 0


def write_replies(rows: list[hotline.ReplyRow], target: Path, zone: ZoneInfo) -> None:
    """The replies as a one-sheet workbook with the terminal's headers."""
    from openpyxl import Workbook

    from handlers import texts

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "回复"
    sheet.append(list(texts.CITY_REPLY_HEADERS))
    for r in rows:
        done = r.done_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if r.done_at else ""
        sheet.append([r.number, r.result, done, r.handler, r.returned, r.extension, r.status])
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)


def cmd_kpi(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """jiesu hotline kpi: the city's 三率 of the orders dispatched in a week, a month or a range."""
    from models.hotline_kpi import By, kpi

    zone = ZoneInfo(config.rules.sla.timezone)
    now = CLOCK.now().astimezone(zone)
    try:
        if args.since:
            since = _since(args.since, zone)
            until = _since(args.until, zone) if args.until else now
        else:
            days = {"week": 7, "month": 30}[args.period]
            since, until = now - timedelta(days=days), now
    except argparse.ArgumentTypeError as exc:
        err.write(f"error: {exc}\n")
        return 2
    rows = in_transaction(config, True, lambda u: kpi(u, since, until, By(args.by)), lambda r: False)

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    out.write(f"三率 of city orders dispatched {since:%Y-%m-%d} to {until:%Y-%m-%d}, by {args.by}\n")
    out.write("name\tdispatched\treturned\ton time\tvisited\t响应率\t解决率\t满意率\n")
    for r in rows:
        out.write(
            f"{r.name}\t{r.dispatched}\t{r.returned}\t{r.done_on_time}\t{r.visited}\t"
            f"{pct(r.response_rate)}\t{pct(r.resolution_rate)}\t{pct(r.satisfaction_rate)}\n"
        )
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    config_of: ConfigOf,
) -> None:
    """Add `hotline import FILE`, `hotline results FILE` and `hotline replies --since DATE`."""
    parser = sub.add_parser("hotline", help="the city's 12345 work orders: dispatch list, 回访, replies")
    actions = parser.add_subparsers(dest="hotline_action", required=True)
    imp = actions.add_parser("import", parents=[common], help="import the city's 派单 list (.xlsx or .csv)")
    imp.add_argument("file")
    imp.add_argument("--mapping", help="a TOML file of other headers and category names (see examples/)")
    imp.add_argument("--sheet", help="the workbook's sheet (default: the first with the headers)")
    imp.add_argument("--dry-run", action="store_true", help="check and say what would be imported")
    imp.add_argument("--good-rows", action="store_true", help="import the good rows even if some are bad")
    res = actions.add_parser("results", parents=[common], help="record the city's 回访 results")
    res.add_argument("file")
    res.add_argument("--sheet", help="the workbook's sheet (default: the first with the headers)")
    res.add_argument("--dry-run", action="store_true", help="check and say what would be recorded")
    rep = actions.add_parser("replies", parents=[common], help="export the replies for the city's terminal")
    rep.add_argument("--since", required=True, help="first day (YYYY-MM-DD) of replies to export")
    rep.add_argument("--out", help="the .xlsx to write (default: replies-SINCE.xlsx)")
    kp = actions.add_parser(
        "kpi", parents=[common], help="the city's 三率 per community, grid, worker or category"
    )
    kp.add_argument("--by", choices=["community", "grid", "worker", "category"], default="community")
    kp.add_argument("--period", choices=["week", "month"], default="month", help="the last 7 or 30 days")
    kp.add_argument("--since", help="first day (YYYY-MM-DD) instead of --period")
    kp.add_argument("--until", help="the day after the last (YYYY-MM-DD; default: now)")
    commands = {"import": cmd_import, "results": cmd_results, "replies": cmd_replies, "kpi": cmd_kpi}

    def run(args: argparse.Namespace) -> int:
        return commands[args.hotline_action](config_of(args), args, sys.stdout, sys.stderr)

    for p in (imp, res, rep, kp):
        p.set_defaults(func=run)
