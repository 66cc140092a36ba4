"""A worker files for a resident (代办): the resident's name, then how they reached the worker."""

from __future__ import annotations

from models.messages import Button

from ... import texts
from ...payloads import ProxySource, WizardSource
from ...states import Step
from ...textclean import clean
from ...turn import Turn
from ..draft import CANCEL, Go, Nav, WizardData, expect_button


def ask_name(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask the resident's name."""
    turn.reply(texts.ASK_PROXY_NAME, (CANCEL,))


def on_name(turn: Turn) -> Go | None:
    """Take the name: one line, not too long."""
    if turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
        return None
    name = clean(turn.msg.text)
    limit = turn.u.rules.limits.name_max
    if not name or len(name) > limit or "\n" in name:
        turn.reply(texts.NAME_INVALID.format(max=limit))
        return None
    return Go(Step.PROXY_SOURCE, {"pname": name})


def ask_source(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask how the resident reached the worker."""
    sources = tuple(Button(texts.SOURCE[s], WizardSource(s).pack()) for s in ProxySource)
    turn.reply(texts.ASK_PROXY_SOURCE, sources + nav)


def on_source(turn: Turn) -> Go | None:
    """Take the tapped source."""
    press = expect_button(turn, WizardSource)
    return None if press is None else Go(Step.CATEGORY, {"psrc": press.source.value})
