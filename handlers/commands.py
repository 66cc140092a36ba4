"""Command names, their Chinese aliases, and the function behind each."""

from __future__ import annotations

from collections.abc import Callable

from . import admin, normalise, resident, staff
from .turn import Turn

Command = Callable[[Turn, list[str]], None]

COMMANDS: dict[str, Command] = {
    "start": resident.greet,
    "help": resident.help_,
    "report": resident.report,
    "my": resident.my_tickets,
    "status": resident.status,
    "withdraw": resident.withdraw,
    "grab": staff.grab,
    "meet": staff.meet,
    "note": staff.note,
    "tier": staff.tier,
    "plan": staff.plan,
    "resolve": staff.resolve,
    "mine": staff.mine,
    "points": staff.my_points,
    "rank": staff.rank,
    "proxy": staff.proxy,
    "assign": admin.assign,
    "reject": admin.reject,
    "merge": admin.merge,
    "grant": admin.grant_role,
    "revoke": admin.revoke_role,
    "bind": admin.bind,
    "areas": admin.areas,
    "overdue": admin.overdue,
    "stats": admin.stats,
}

# Everyday words staff and residents type without a slash.
ALIASES: dict[str, str] = {
    "帮助": "help",
    "菜单": "start",
    "反映问题": "report",
    "我要反映": "report",
    "报事": "report",
    "我的工单": "my",
    "查询": "status",
    "撤回": "withdraw",
    "取消": "cancel",
    "抢单": "grab",
    "见面": "meet",
    "进展": "note",
    "定级": "tier",
    "方案": "plan",
    "办结": "resolve",
    "我的任务": "mine",
    "我的积分": "points",
    "积分": "points",
    "排行": "rank",
    "代办": "proxy",
    "交办": "assign",
    "驳回": "reject",
    "合并": "merge",
    "绑定": "bind",
    "超期": "overdue",
    "统计": "stats",
}

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
]


def parse(text: str, *, aliases: bool) -> tuple[str, list[str]] | None:
    """('status', ['12']) from '/status 12', '/status@bot 12' or '查询 12'; None if not a command."""
    # Issue 12: one reading for every command (full-width forms, 抢单1, 办结：1，…, 十二号工单).
    found = normalise.command(text, ALIASES if aliases else {})
    return (found.name, found.args) if found is not None else None
