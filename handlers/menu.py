"""The resident's main menu: shown with the greeting, after a dropped draft, when nothing was understood."""

from __future__ import annotations

from models.messages import Button

from . import texts
from .payloads import Menu, MenuAction

MENU = (
    Button(texts.BTN_REPORT, Menu(MenuAction.REPORT).pack()),
    Button(texts.BTN_MY, Menu(MenuAction.MY).pack()),
    Button(texts.BTN_HELP, Menu(MenuAction.HELP).pack()),
)
