"""Command names, their Chinese aliases, and the function behind each."""

from __future__ import annotations

from typing import TypeVar

from handlers import texts

from . import admin, audit, moving, normalise, resident, rewards, staff, web, wizard
from .turn import Command, Turn

V = TypeVar("V")


def cancel(turn: Turn, args: list[str]) -> None:
    """/cancel (取消): leave whatever flow the chat is in, as that flow says."""
    leave = CANCELS.get(turn.dialog.state)
    if leave is None:
        turn.reply(texts.NOTHING_TO_CANCEL)
    else:
        leave(turn)


def _merge(*tables: dict[str, V]) -> dict[str, V]:
    """One table from the feature modules' own; a name claimed twice is a programming error."""
    merged: dict[str, V] = {}
    for table in tables:
        if clash := merged.keys() & table.keys():
            raise RuntimeError(f"command names declared twice: {sorted(clash)}")
        merged.update(table)
    return merged


# Each dialog state that /cancel can leave, and how (the wizard's steps, 办结's photo wait).
CANCELS = {**wizard.CANCELS, **staff.CANCELS}
COMMANDS: dict[str, Command] = _merge(
    {"cancel": cancel},
    resident.COMMANDS,
    wizard.COMMANDS,
    staff.COMMANDS,
    admin.COMMANDS,
    audit.COMMANDS,
    moving.COMMANDS,
    web.COMMANDS,
    rewards.COMMANDS,
)
# Everyday words staff and residents type without a slash.
ALIASES: dict[str, str] = _merge(
    {"取消": "cancel"},
    resident.ALIASES,
    wizard.ALIASES,
    staff.ALIASES,
    admin.ALIASES,
    audit.ALIASES,
    moving.ALIASES,
    web.ALIASES,
    rewards.ALIASES,
)

# Menu entries for channels that register them (Telegram setMyCommands).
RESIDENT_MENU = [
    ("start", "主菜单"),
    ("report", "反映问题"),
    ("my", "我的工单"),
    ("status", "查询工单进展"),
    ("withdraw", "撤回工单"),
    ("cancel", "取消当前操作"),
    ("help", "使用帮助"),
]
WORKER_MENU = [
    ("grab", "抢单 编号"),
    ("mine", "我的任务"),
    ("points", "我的积分"),
    ("rank", "积分排行"),
    ("rewards", "积分回馈"),
    ("history", "工单办理记录"),
    ("help", "命令帮助"),
]
ADMIN_MENU = [
    ("assign", "交办"),
    ("reject", "驳回"),
    ("merge", "合并"),
    ("grant", "授权"),
    ("revoke", "撤销授权"),
    ("bind", "绑定本群"),
    ("areas", "范围代码"),
    ("overdue", "超期工单"),
    ("stats", "统计"),
    ("move", "转派"),
    ("report_week", "周报（Excel）"),
    ("close", "代为办结"),
]


def parse(text: str, *, aliases: bool) -> tuple[str, list[str]] | None:
    """('status', ['12']) from '/status 12', '/status@bot 12' or '查询 12'; None if not a command."""
    # One reading for every command (full-width forms, 抢单1, 办结：1，…, 十二号工单).
    found = normalise.command(text, ALIASES if aliases else {})
    return (found.name, found.args) if found is not None else None
