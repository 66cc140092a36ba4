"""`jiesu doctor`: what an office must fix before residents arrive, each with the command that fixes it.

It reads the configuration and the database (never creating or migrating one) and asks each
configured channel one harmless question (Telegram getMe, a WeChat token and getcallbackip) with a
short timeout. The one thing it may write is a WeChat access token it had to fetch, into the token
cache the bot shares (a token fetched aside would replace the bot's own). The figures come from
models/readiness.py; the words, for the operator, are here in English and Chinese (`--lang`, by
default from the locale).

What blocks (exit status 1) and what only warns:
- blocking: no usable database; the built-in demo in it; no territory or no catalogue; a grid with no
  worker; a grid whose ticket cards reach no chat at all; no chat channel, or one that does not answer;
  no holidays for the current year in the working-day calendar. Each of these loses or strands a
  resident's report, or runs the 135 clock wrong today.
- warnings: a grid whose cards go to a chat above it; a category with no owning department; a
  department with no staff; admins who never wrote to the bot; next year's holidays not published in
  the installed calendar yet (from October); no HTTPS address for the web office.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.config import Config
from models.clock import Clock, SystemClock
from models.holidays import YEARS, library_version
from models.readiness import Place, Readiness, calendar_gaps, readiness
from models.store.database import Database
from models.store.existing import Schema, open_existing

from .channels.telegram_probe import TelegramUnreachable, bot_username
from .channels.wechat_admin import WechatUnreachable, client_for, probe

ConfigOf = Callable[[argparse.Namespace], Config]
SHOWN = 8  # items of a list printed before "and N more"


class Severity(StrEnum):
    """Whether a finding keeps the office from going live."""

    BLOCK = "block"
    WARN = "warn"


@dataclass(frozen=True)
class Finding:
    """One thing to fix: its kind (the key of its words), severity and the values its words need."""

    kind: str
    severity: Severity
    values: dict[str, str] = field(default_factory=dict)
    items: tuple[str, ...] = ()


# kind -> (what is wrong, the command that fixes it), per language. {first} is the first item's code.
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "no_database": (
            "no Jiesu database at {url}",
            "import your territory, which creates it: jiesu territory import TERRITORY.toml",
        ),
        "schema_behind": ("the database at {url} has an older schema", "jiesu db upgrade"),
        "database_error": (
            "cannot open the database at {url}: {reason}",
            "check [database] url (or JIESU_DATABASE_URL, --db) and that the server runs",
        ),
        "demo": (
            "the database holds the built-in 北苑街道 demo",
            "jiesu demo remove, then import your files (or: jiesu territory import TERRITORY.toml "
            "--replace-demo)",
        ),
        "demo_used": (
            "the database holds the built-in 北苑街道 demo, and {tickets} tickets were filed on it",
            "start your office on a new database: set [database] url (or JIESU_DATABASE_URL)",
        ),
        "no_territory": (
            "no territory is imported: no grid to send a report to",
            "jiesu territory check TERRITORY.toml, then jiesu territory import TERRITORY.toml",
        ),
        "no_catalogue": (
            "no service catalogue is imported: residents would have no category to pick",
            "jiesu catalogue import CATALOGUE.toml (examples/beiyuan/catalogue.toml is a complete one)",
        ),
        "grids_without_worker": (
            "{count} grids have no worker, so nobody grabs their tickets",
            "list the workers in the staff file and run jiesu staff import STAFF.toml, "
            "or in chat: /grant USER worker {first}",
        ),
        "grids_without_chat": (
            "the ticket cards of {count} grids reach no chat",
            "send /bind {first} in the grid's group chat (Telegram), "
            "or a WeChat worker sends /bind {first} to the account",
        ),
        "grids_sharing_chat": (
            "{count} grids have no chat of their own; their cards go to a chat above them",
            "send /bind {first} in the grid's own group chat, or a WeChat worker sends /bind {first}",
        ),
        "categories_without_owner": (
            "{count} categories have no owning department: a late ticket skips the department level",
            "list each under a department's categories in the territory file and run "
            'jiesu territory import TERRITORY.toml (or write department = "CODE" in the catalogue)',
        ),
        "departments_without_staff": (
            "{count} departments have no staff and no chat: their escalations reach nobody there",
            "/grant USER admin {first} in chat (or the staff file), or /bind {first} in its group",
        ),
        "silent_admins": (
            "{count} admins never wrote to the bot, so it cannot message them",
            "ask each to open the bot and send /start ({telegram}), "
            "or to write to the official account (WeChat)",
        ),
        "no_admin": (
            "nobody is an admin: the daily digest and the top of the ladder reach nobody",
            'name them in the config ([telegram] admins = [USER_ID], [wechat] admins = ["OPENID"]) '
            'or in the staff file (role = "admin") and run jiesu staff import STAFF.toml',
        ),
        "no_channel": (
            "no chat channel is configured: residents cannot reach the bot",
            "set [telegram] token or a [wechat] section (see config.example.toml)",
        ),
        "telegram_down": (
            "Telegram: {reason}",
            "check [telegram] token (or JIESU_TELEGRAM_TOKEN), the network or proxy, or [telegram] base_url",
        ),
        "wechat_down": (
            "WeChat: {reason}",
            "check [wechat] app_id, app_secret and the server's IP in the account's IP whitelist",
        ),
        "wechat_unchecked": (
            "WeChat was not checked: its access token is kept in the database, and there is none yet",
            "run jiesu doctor again after the imports",
        ),
        "holidays_now": (
            "the working-day calendar has no holidays for {year} (chinese-calendar {version} knows {known})",
            "pip install -U chinese-calendar, or list the days in [sla] holidays and extra_workdays",
        ),
        "holidays_next": (
            "no holidays for {year} yet (chinese-calendar {version} knows {known}); "
            "the State Council publishes them each autumn",
            "pip install -U chinese-calendar once a release has them, or list them in [sla] holidays",
        ),
        "web_off": (
            "no [web] base_url: the web office (指挥中心) is off",
            'set [web] base_url = "https://…" (the HTTPS address of your proxy)',
        ),
        "web_http": (
            "[web] base_url {url} is not HTTPS: sign-in links and cookies would travel in clear",
            'put HTTPS in front and set [web] base_url = "https://…"',
        ),
        "secret_readable": (
            "{path} holds secrets ({keys}) and every user of this machine may read it",
            "chmod 640 {path} (owner root, group jiesu), or move the secrets to the environment or "
            "JIESU_…_FILE files (docs/operating.md, Secrets)",
        ),
    },
    "zh": {
        "no_database": (
            "{url} 还没有 Jiesu 数据库",
            "导入辖区文件，数据库随之建立：jiesu territory import TERRITORY.toml",
        ),
        "schema_behind": ("{url} 的数据库结构版本较旧", "jiesu db upgrade"),
        "database_error": (
            "无法打开数据库 {url}：{reason}",
            "检查 [database] url（或 JIESU_DATABASE_URL、--db），以及数据库服务是否在运行",
        ),
        "demo": (
            "数据库里是内置的北苑街道演示数据",
            "jiesu demo remove，然后导入本街道的文件（或一步完成：jiesu territory import TERRITORY.toml "
            "--replace-demo）",
        ),
        "demo_used": (
            "数据库里是内置的北苑街道演示数据，且已有 {tickets} 件工单",
            "请改用一个新的数据库：设置 [database] url（或 JIESU_DATABASE_URL）",
        ),
        "no_territory": (
            "尚未导入辖区：居民的反映无处派送",
            "jiesu territory check TERRITORY.toml，再 jiesu territory import TERRITORY.toml",
        ),
        "no_catalogue": (
            "尚未导入服务事项目录：居民没有问题类别可选",
            "jiesu catalogue import CATALOGUE.toml（examples/beiyuan/catalogue.toml 是完整示例）",
        ),
        "grids_without_worker": (
            "{count} 个网格没有网格员，工单无人抢单",
            "在人员名单中列出网格员后运行 jiesu staff import STAFF.toml，"
            "或在聊天中发送 /grant 用户 worker {first}",
        ),
        "grids_without_chat": (
            "{count} 个网格的工单卡片发不到任何群",
            "在该网格的群里发送 /bind {first}（Telegram），或由微信上的网格员向公众号发送 /bind {first}",
        ),
        "grids_sharing_chat": (
            "{count} 个网格没有自己的群，工单卡片发到上级的群",
            "在该网格自己的群里发送 /bind {first}，或由微信上的网格员发送 /bind {first}",
        ),
        "categories_without_owner": (
            "{count} 个问题类别没有主管科室：超期工单升级时跳过科室这一级",
            "在辖区文件的科室 categories 中列出后运行 jiesu territory import TERRITORY.toml"
            '（或在目录文件中写 department = "代码"）',
        ),
        "departments_without_staff": (
            "{count} 个科室既没有人员也没有群：升级到科室的督办无人接收",
            "在聊天中发送 /grant 用户 admin {first}（或用人员名单），或在科室的群里发送 /bind {first}",
        ),
        "silent_admins": (
            "{count} 位管理员从未给机器人发过消息，机器人无法联系他们",
            "请他们打开机器人发送 /start（{telegram}），或在微信公众号里发一条消息",
        ),
        "no_admin": (
            "没有任何管理员：每日督办简报和最高一级督办无人接收",
            '在配置中写明（[telegram] admins = [用户ID]、[wechat] admins = ["OPENID"]），'
            '或在人员名单中写 role = "admin" 后运行 jiesu staff import STAFF.toml',
        ),
        "no_channel": (
            "没有配置任何聊天渠道：居民无法联系机器人",
            "设置 [telegram] token 或 [wechat] 一节（见 config.example.toml）",
        ),
        "telegram_down": (
            "Telegram：{reason}",
            "检查 [telegram] token（或 JIESU_TELEGRAM_TOKEN）、网络或代理，或 [telegram] base_url",
        ),
        "wechat_down": (
            "微信：{reason}",
            "检查 [wechat] app_id、app_secret，以及公众号后台的 IP 白名单是否含本服务器",
        ),
        "wechat_unchecked": (
            "未检查微信：access token 保存在数据库中，而数据库尚未建立",
            "导入完成后再运行一次 jiesu doctor",
        ),
        "holidays_now": (
            "工作日历没有 {year} 年的节假日（chinese-calendar {version} 只有 {known}）",
            "pip install -U chinese-calendar，或在 [sla] holidays 和 extra_workdays 中列出",
        ),
        "holidays_next": (
            "还没有 {year} 年的节假日（chinese-calendar {version} 只有 {known}）；国务院每年秋季公布",
            "待新版本发布后 pip install -U chinese-calendar，或在 [sla] holidays 中列出",
        ),
        "web_off": (
            "没有设置 [web] base_url：网上指挥中心未开启",
            '设置 [web] base_url = "https://…"（反向代理的 HTTPS 地址）',
        ),
        "web_http": (
            "[web] base_url {url} 不是 HTTPS：登录链接和 Cookie 将明文传输",
            '在前面加上 HTTPS，并设置 [web] base_url = "https://…"',
        ),
        "secret_readable": (
            "{path} 含有密钥（{keys}），本机任何用户都能读取",
            "chmod 640 {path}（属主 root，属组 jiesu），或把密钥改放环境变量或 JIESU_…_FILE 文件"
            "（docs/operating.md「Secrets」）",
        ),
    },
}
HEAD = {
    "en": {Severity.BLOCK: "BLOCKING ", Severity.WARN: "WARNING  ", "fix": "  fix: ", "ok": "ok       "},
    "zh": {
        Severity.BLOCK: "【必须处理】",
        Severity.WARN: "【建议处理】",
        "fix": "  处理：",
        "ok": "【正常】",
    },
}
MORE = {"en": "and {n} more", "zh": "等 {n} 个"}
SUMMARY = {
    "en": {
        True: "{blocks} blocking, {warns} warnings: not ready for residents yet",
        False: "nothing blocking ({warns} warnings): ready for residents",
    },
    "zh": {
        True: "共 {blocks} 项必须处理、{warns} 项建议处理：暂不能接待居民",
        False: "没有必须处理的问题（{warns} 项建议处理）：可以接待居民",
    },
}
OK = {
    "en": {
        "database": "database at {url}",
        "territory": "territory: {grids} grids ({areas} areas in all)",
        "catalogue": "catalogue: {categories} categories",
        "telegram": "Telegram: @{bot} answers",
        "wechat": "WeChat: the account answers",
        "holidays": "holidays: chinese-calendar {version} ({known})",
    },
    "zh": {
        "database": "数据库 {url}",
        "territory": "辖区：{grids} 个网格（共 {areas} 个区域）",
        "catalogue": "服务事项目录：{categories} 个类别",
        "telegram": "Telegram：@{bot} 正常应答",
        "wechat": "微信：公众号正常应答",
        "holidays": "节假日：chinese-calendar {version}（{known}）",
    },
}


def default_lang(env: dict[str, str] | None = None) -> str:
    """Chinese when the locale says so (LC_ALL, LC_MESSAGES or LANG starts with zh), else English."""
    env = dict(os.environ) if env is None else env
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := env.get(key):
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _place(p: Place, lang: str) -> str:
    where = " ".join(x for x in (p.community, p.name) if x)
    return f"{where}（{p.code}）" if lang == "zh" else f"{p.code} ({where})"


@dataclass
class Examination:
    """Everything the doctor found, in the order it is printed."""

    findings: list[Finding] = field(default_factory=list)
    passed: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def add(self, kind: str, severity: Severity, items: Sequence[str] = (), **values: str) -> None:
        """Record one finding."""
        self.findings.append(Finding(kind, severity, values, tuple(items)))

    @property
    def blocking(self) -> bool:
        """Whether anything keeps the office from going live."""
        return any(f.severity is Severity.BLOCK for f in self.findings)


def examine(config: Config, lang: str, clock: Clock | None = None) -> Examination:
    """Run every check on this config and its database (clock: what "this year" is; the system's)."""
    clock = clock or SystemClock()
    ex = Examination()
    url = make_url(config.database_url).render_as_string(hide_password=True)
    db = None
    try:
        db, schema = open_existing(config.database_url)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        ex.add("database_error", Severity.BLOCK, url=url, reason=reason)
        schema = None
    try:
        if db is None and schema is Schema.MISSING:
            ex.add("no_database", Severity.BLOCK, url=url)
        elif db is None and schema is Schema.BEHIND:
            ex.add("schema_behind", Severity.BLOCK, url=url)
        reached = Examination()  # asked first (the bot's name is in the advice), printed after the data
        bot = _channels(config, reached, db)
        if db is not None:
            ex.passed.insert(0, ("database", {"url": url}))
            admins = [("telegram", str(a)) for a in config.telegram.admins]
            admins += [("wechat", a) for a in config.wechat.admins]
            admins += [("wecom", a) for a in config.wecom.admins]
            tokens = (
                ("telegram", config.telegram.token),
                ("wechat", config.wechat.token),
                ("wecom", config.wecom.token),
            )
            channels = {c for c, on in tokens if on}
            r = db.run_sync(lambda s: readiness(s, admins, channels))
            _data(r, ex, lang, bot)
        ex.findings += reached.findings
        ex.passed += reached.passed
    finally:
        if db is not None:
            db.close()
    _calendar(config, ex, clock)
    _web(config, ex)
    return ex


def _channels(config: Config, ex: Examination, db: Database | None) -> str:
    """Ask each configured channel one question; the Telegram bot's @name (or a placeholder)."""
    bot = "@…"
    if not (config.telegram.token or config.wechat.token or config.wecom.token):
        ex.add("no_channel", Severity.BLOCK)
    if config.telegram.token:
        try:
            bot = "@" + asyncio.run(bot_username(config.telegram))
            ex.passed.append(("telegram", {"bot": bot[1:]}))
        except TelegramUnreachable as exc:
            ex.add("telegram_down", Severity.BLOCK, reason=str(exc))
    if config.wechat.token:
        if db is None:
            ex.add("wechat_unchecked", Severity.WARN)
        else:
            client = client_for(config.wechat, db, SystemClock())
            try:
                probe(client)
                ex.passed.append(("wechat", {}))
            except WechatUnreachable as exc:
                ex.add("wechat_down", Severity.BLOCK, reason=str(exc))
            finally:
                client.close()
    return bot


def _data(r: Readiness, ex: Examination, lang: str, bot: str) -> None:
    """Findings of the territory, catalogue and staff."""
    if r.demo:
        if r.tickets:
            ex.add("demo_used", Severity.BLOCK, tickets=str(r.tickets))
        else:
            ex.add("demo", Severity.BLOCK)
    if not r.areas:
        ex.add("no_territory", Severity.BLOCK)
    else:
        ex.passed.append(("territory", {"grids": str(r.grids), "areas": str(r.areas)}))
    if not r.categories:
        ex.add("no_catalogue", Severity.BLOCK)
    else:
        ex.passed.append(("catalogue", {"categories": str(r.categories)}))
    invited = {"en": "invited, not yet bound: {names}", "zh": "已邀请，尚未绑定：{names}"}[lang]
    if r.grids_without_worker:
        items = [
            _place(p, lang) + (f" [{invited.format(names=', '.join(names))}]" if names else "")
            for p, names in r.grids_without_worker
        ]
        ex.add("grids_without_worker", Severity.BLOCK, items, first=r.grids_without_worker[0][0].code)
    nowhere = [p for p, catcher in r.grids_without_chat if catcher is None]
    if nowhere:
        ex.add(
            "grids_without_chat", Severity.BLOCK, [_place(p, lang) for p in nowhere], first=nowhere[0].code
        )
    shared = [(p, c) for p, c in r.grids_without_chat if c is not None]
    if shared:
        goes = {"en": "cards go to {to}", "zh": "卡片发到 {to}"}[lang]
        items = [f"{_place(p, lang)} [{goes.format(to=c.code)}]" for p, c in shared]
        ex.add("grids_sharing_chat", Severity.WARN, items, first=shared[0][0].code)
    if r.categories_without_owner:
        unknown = {"en": "department {code!r} is not in the territory", "zh": "科室 {code} 不在辖区中"}[lang]
        items = [
            f"{code} ({name})" + (f" [{unknown.format(code=dept)}]" if dept else "")
            for code, name, dept in r.categories_without_owner
        ]
        ex.add("categories_without_owner", Severity.WARN, items)
    if r.departments_without_staff:
        items = [_place(p, lang) for p in r.departments_without_staff]
        ex.add("departments_without_staff", Severity.WARN, items, first=r.departments_without_staff[0].code)
    if r.areas and not r.admins:
        ex.add("no_admin", Severity.WARN)
    if r.silent_admins:
        items = [
            f"{channel} {uid}" + (f" ({name})" if name and name != uid else "")
            for channel, uid, name in r.silent_admins
        ]
        ex.add("silent_admins", Severity.WARN, items, telegram=bot)


def _calendar(config: Config, ex: Examination, clock: Clock) -> None:
    """Holidays of this year and, from October, of the next."""
    today = clock.now().astimezone(ZoneInfo(config.rules.sla.timezone)).date()
    this_year, next_year = calendar_gaps(today, config.rules.sla)
    known = f"{min(YEARS)}–{max(YEARS)}" if YEARS else "-"
    version = library_version()
    if this_year is not None:
        ex.add("holidays_now", Severity.BLOCK, year=str(this_year), version=version, known=known)
    if next_year is not None:
        ex.add("holidays_next", Severity.WARN, year=str(next_year), version=version, known=known)
    if this_year is None and next_year is None:
        ex.passed.append(("holidays", {"version": version, "known": known}))


def _web(config: Config, ex: Examination) -> None:
    """The web office's address."""
    base = config.web.base_url
    if not base:
        ex.add("web_off", Severity.WARN)
    elif not base.startswith("https://"):
        ex.add("web_http", Severity.WARN, url=base)


def _secrets_file(path: str, ex: Examination) -> None:
    """A config file with secrets in it that anyone on the machine may read."""
    import tomllib

    from .secretfiles import secrets_in_file, world_readable

    with open(path, "rb") as fh:
        keys = secrets_in_file(tomllib.load(fh))
    if keys and world_readable(path):
        ex.add("secret_readable", Severity.WARN, path=path, keys=", ".join(keys))


def report(ex: Examination, lang: str, out: TextIO) -> None:
    """Print the findings, blocking first, each with its fix, then what passed and a summary."""
    words, head = WORDS[lang], HEAD[lang]
    for severity in (Severity.BLOCK, Severity.WARN):
        for f in (f for f in ex.findings if f.severity is severity):
            what, fix = words[f.kind]
            values = {"count": str(len(f.items)), **f.values}
            out.write(f"{head[severity]}{what.format(**values)}\n")
            shown = list(f.items[:SHOWN])
            if len(f.items) > SHOWN:
                shown.append(MORE[lang].format(n=len(f.items) - SHOWN))
            for item in shown:
                out.write(f"    - {item}\n")
            out.write(f"{head['fix']}{fix.format(**values)}\n")
    for kind, values in ex.passed:
        out.write(f"{head['ok']}{OK[lang][kind].format(**values)}\n")
    blocks = sum(f.severity is Severity.BLOCK for f in ex.findings)
    warns = len(ex.findings) - blocks
    out.write(SUMMARY[lang][ex.blocking].format(blocks=blocks, warns=warns) + "\n")


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    config_of: ConfigOf,
) -> None:
    """Add `jiesu doctor [--lang zh|en]`."""
    parser = sub.add_parser(
        "doctor",
        parents=[common],
        help="list what to fix before residents arrive (exit 1 while anything blocks)",
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), help="language of the report (default: from the locale)"
    )

    def run(args: argparse.Namespace) -> int:
        lang = args.lang or default_lang()
        ex = examine(config_of(args), lang)
        if args.config:
            _secrets_file(args.config, ex)
        report(ex, lang, sys.stdout)
        return 1 if ex.blocking else 0

    parser.set_defaults(func=run)
