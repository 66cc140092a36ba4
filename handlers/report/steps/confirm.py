"""The confirmation: first the duplicate question when one is owed, then the summary and 确认提交."""

from __future__ import annotations

from ... import texts
from ...payloads import WizardAction
from ...render import area_label, category_name
from ...turn import Turn
from .. import duplicates
from ..draft import BACK, CANCEL, SUBMIT, Go, Nav, WizardData, data, pressed
from ..submit import submit


def ask(turn: Turn, data: WizardData, nav: Nav) -> None:
    """Ask about a duplicate nearby (once per draft), else show the summary to confirm."""
    if duplicates.offer(turn):
        return
    turn.reply(texts.CONFIRM.format(summary=summary(turn)), (SUBMIT, BACK, CANCEL), keyboard="remove")


def on_confirm(turn: Turn) -> Go | None:
    """File on 确认提交; re-ask anything else."""
    if pressed(turn, WizardAction.SUBMIT):
        submit(turn)
    elif turn.msg.payload is not None:
        turn.refuse(texts.BUTTON_EXPIRED)
    else:
        turn.reply(texts.CONFIRM_EXPECTED, (SUBMIT, BACK, CANCEL))
    return None


def summary(turn: Turn) -> str:
    """What the resident is about to submit, in lines."""
    u, d = turn.u, data(turn)
    lines = []
    if d.get("proxy"):
        lines.append(
            texts.SUMMARY_PROXY.format(name=d.get("pname", ""), source=texts.SOURCE[d.get("psrc", "other")])
        )
    lines.append(texts.SUMMARY_CATEGORY.format(category=category_name(u.session, d["cat"])))
    lines.append(texts.SUMMARY_DESCRIPTION.format(description=d["desc"]))
    if d.get("photos"):
        lines.append(texts.SUMMARY_PHOTOS.format(count=1 + len(d["photos"])))
    elif d.get("photo"):
        lines.append(texts.SUMMARY_PHOTO)
    if d.get("lat") is not None:
        lines.append(texts.SUMMARY_LOCATION.format(area=area_label(u, d["area"])))
    if d.get("addr"):
        lines.append(texts.SUMMARY_ADDRESS.format(address=d["addr"]))
        lines.append(texts.SUMMARY_AREA.format(area=area_label(u, d["area"])))
    if d.get("phone"):
        lines.append(texts.SUMMARY_PHONE.format(phone=d["phone"]))
    return "\n".join(lines)
