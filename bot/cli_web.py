"""`jiesu web link USER`: print a sign-in link for the web office (first admin, no chat channel)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.config import Config
from handlers.web import sign_in_url
from models import office
from models.people import find_person, is_staff

from .app import App


def link(config: Config, user: str) -> int:
    """Print a single-use sign-in link for a staff member; 78 (no base_url) or 1 (no such staff)."""
    if not config.web.base_url:
        print("error: set [web] base_url in the config file first (the host of the links)", file=sys.stderr)
        return 78  # bot.exitcodes.Exit.CONFIG
    app = App(config)
    try:
        app.prepare()

        def make(session: Session) -> str | None:
            person = find_person(session, user)
            if person is None or not is_staff(session, person.id):
                return None
            return office.new_sign_in_link(session, person, app.clock.now())

        token = app.db.run_sync(make)
    finally:
        app.close()
    if token is None:
        print(
            f"error: {user} is not a worker or admin (grant a role first, e.g. /grant in chat)",
            file=sys.stderr,
        )
        return 1
    print(sign_in_url(config.web.base_url, token))
    return 0


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    load: Callable[[argparse.Namespace], Config],
) -> None:
    """Register `jiesu web link USER`."""
    web = sub.add_parser("web", help="web office")
    websub = web.add_subparsers(dest="web_command", required=True)
    cmd = websub.add_parser("link", parents=[common], help="print a single-use sign-in link (10 minutes)")
    cmd.add_argument("user", help="@handle or channel user id of a worker or admin")
    cmd.set_defaults(func=lambda args: link(load(args), args.user))
