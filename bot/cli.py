"""The `jiesu` command: console demo, bot runner and database upgrade.

Only argparse is imported here at start: each sub-command's module (and the application behind it)
is imported when that command runs, so `jiesu --help` and `jiesu --version` answer at once.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .exitcodes import Exit

if TYPE_CHECKING:
    from bot.config import Config

# Sub-commands that live in modules of their own: name -> (module, the help line --help shows).
# The module's register(sub, common, config_of) (or register(sub), or add_parser) adds the real
# parser; its help line must match this one (tests/test_cli_start.py checks).
LAZY: dict[str, tuple[str, str]] = {
    "territory": ("bot.cli_territory", "the territory file: communities, grids, departments"),
    "catalogue": ("bot.cli_territory", "the service catalogue file: categories, items, sub-items"),
    "staff": ("bot.cli_territory", "the staff file: grid workers and admins with their scopes"),
    "web": ("bot.cli_web", "web office"),
    "understand": ("bot.cli_understand", "the trained reader: corpus, training, evaluation"),
    "demo": ("bot.cli_demo", "the built-in 北苑街道 demo data"),
    "doctor": ("bot.cli_doctor", "list what to fix before residents arrive (exit 1 while anything blocks)"),
    "qr": ("bot.cli_qr", "print a 码上说 QR poster per grid (PNG, and PDF)"),
    "wechat": ("bot.cli_wechat", "the WeChat official account"),
    "hotline": ("bot.cli_hotline", "the city's 12345 work orders: dispatch list, 回访, replies"),
    "rewards": ("bot.cli_rewards", "the 积分回馈 rewards file: check or import"),
    "faq": ("bot.cli_faq", "the FAQ file answering residents' questions: check or import"),
}
ALL = "*"  # build_parser(ALL): every sub-command's real parser (imports every module)
# Top-level commands that bot.cli_db.register adds beside `db` (name -> the help line --help shows).
DB_EXTRA: dict[str, str] = {
    "backup": "write a consistent copy of the database",
    "restore": "load a backup into an empty database",
}


def _config(args: argparse.Namespace) -> Config:
    from bot.config import check_database_url, load

    config = load(args.config, log_warnings=False)
    for warning in config.warnings:
        print(f"config warning: {warning}", file=sys.stderr)
    if getattr(args, "db", None):
        config.database_url = check_database_url(args.db, "--db")
    return config


async def run_console(config: Config, source: TextIO, out: TextIO, err: TextIO, jsonl: bool) -> int:
    """Feed lines to the console until the input ends."""
    import asyncio

    from models.clock import FakeClock
    from scheduler import install

    from .app import App
    from .channels.console import Console, ConsoleLineError, ConsoleTransport

    transport = ConsoleTransport(out, jsonl=jsonl)
    app = App(config, clock=FakeClock(), transports={"console": transport})
    install(app)
    await app.start()
    console = Console(app, transport)
    interactive = source.isatty()
    try:
        while True:
            if interactive:
                err.write("> ")
                err.flush()
            line = await asyncio.to_thread(source.readline)
            if not line:
                return 0
            try:
                await console.run_line(line)
            except ConsoleLineError as exc:
                err.write(f"error: {exc}\n")
                err.flush()
    finally:
        app.close()


def cmd_console(args: argparse.Namespace) -> int:
    """jiesu console."""
    import asyncio

    from . import cli_territory

    config = _config(args)
    if (reason := cli_territory.not_ready(config)) is not None:
        print(reason, file=sys.stderr)
        return Exit.CONFIG
    if args.script:
        path = Path(args.script)
        if not path.is_file():
            print(f"error: script not found: {path}", file=sys.stderr)
            return Exit.USAGE
        with path.open(encoding="utf-8") as fh:
            return asyncio.run(run_console(config, fh, sys.stdout, sys.stderr, args.jsonl))
    return asyncio.run(run_console(config, sys.stdin, sys.stdout, sys.stderr, args.jsonl))


def cmd_run(args: argparse.Namespace) -> int:
    """jiesu run: serve the configured channels."""
    from . import cli_territory

    config = _config(args)
    from .office import enabled as web_enabled

    if not (config.telegram.token or config.wechat.token or config.wecom.token or web_enabled(config)):
        print(
            "No channel is configured. Set [telegram] token (or JIESU_TELEGRAM_TOKEN) or a [wechat] "
            "section in the config file (or [web] base_url / [open311] api_keys), see config.example.toml.\n"
            "To try Jiesu without any account, run: jiesu console",
            file=sys.stderr,
        )
        return Exit.CONFIG
    if config.web.base_url and not config.web.secret:
        from .secretfiles import WEB_SECRET_HELP

        print(f"config error: {WEB_SECRET_HELP}", file=sys.stderr)
        return Exit.CONFIG
    residents = cli_territory.serves_residents(config)
    if (reason := cli_territory.not_ready(config, residents=residents)) is not None:
        print(reason, file=sys.stderr)
        return Exit.CONFIG
    from .runner import run
    from .startretry import retrying

    return retrying(lambda: run(config))


def _register(name: str, sub: Any, common: argparse.ArgumentParser) -> None:
    """Import the module of a lazy sub-command and let it add its parsers."""
    module = importlib.import_module(LAZY[name][0])
    register: Callable[..., None] = getattr(module, "register", None) or module.add_parser
    arguments = (sub, common, _config)
    register(*arguments[: len(inspect.signature(register).parameters)])


def build_parser(command: str | None = ALL) -> argparse.ArgumentParser:
    """The argument parser: real for `command` (every one with ALL), a help line for the others."""
    from .version import describe

    parser = argparse.ArgumentParser(
        prog="jiesu", description="接诉 Jiesu: neighbourhood problems as work orders"
    )
    parser.add_argument("--version", action="version", version=describe())
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="config file (TOML); defaults to the built-in demo settings")
    common.add_argument("--db", help="database URL (overrides [database] url and JIESU_DATABASE_URL)")
    console = sub.add_parser("console", parents=[common], help="chat with the bot in the terminal")
    console.add_argument("--jsonl", action="store_true", help="one JSON object per bot message")
    console.add_argument("--script", help="read lines from this file instead of standard input")
    console.set_defaults(func=cmd_console)
    run = sub.add_parser("run", parents=[common], help="serve Telegram / WeChat")
    run.set_defaults(func=cmd_run)
    db = sub.add_parser("db", help="database maintenance: upgrade, current, history")
    if command in (ALL, "db", *DB_EXTRA):
        from . import cli_db

        dbsub = db.add_subparsers(dest="db_command", required=True)
        cli_db.register(sub, dbsub, common, _config)  # db upgrade|current|history
    else:
        for name, line in DB_EXTRA.items():
            sub.add_parser(name, help=line, add_help=False)
    wanted = list(LAZY) if command == ALL else [command] if command in LAZY else []
    for name in wanted:  # the real parsers first: one module may add several commands
        if name not in sub.choices:
            _register(name, sub, common)
    for name in LAZY:
        if name not in sub.choices:
            sub.add_parser(name, help=LAZY[name][1], add_help=False)
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The sub-command named on the command line (the first word that is not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `jiesu` command; the exit statuses are bot.exitcodes.Exit."""
    argv = sys.argv[1:] if argv is None else argv
    # Opt in to PTB's coming timedelta durations (else PTB warns whenever it builds a RetryAfter
    # for a 429); the program decides this at its entry point, not a module at import time.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser(_command_of(argv)).parse_args(argv)
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from bot.config import ConfigError

    from .exitcodes import database_status

    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return Exit.CONFIG
    except (ArgumentError, NoSuchModuleError) as exc:
        print(
            f"config error: database URL {exc}; expected sqlite:///FILE or postgresql://USER@HOST/DATABASE",
            file=sys.stderr,
        )
        return Exit.CONFIG
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        print(f"database error: cannot open the database: {reason}", file=sys.stderr)
        return database_status(exc)
    except KeyboardInterrupt:
        return Exit.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
