"""Configuration: a TOML file, with secrets and the database URL overridable from the environment."""

from __future__ import annotations

import difflib
import itertools
import logging
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

from bot.secretfiles import SecretFileError, with_file_secrets
from models.policy import REDELIVERY_WINDOW, Limits, PointsPolicy, SlaPolicy, StoragePolicy
from models.store.unit_of_work import Rules

log = logging.getLogger(__name__)
DEFAULT_DB_URL = "sqlite+aiosqlite:///jiesu.db"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ConfigError(ValueError):
    """The config file says something that cannot be used; the message says what to fix."""


def parse_duration(value: str | int | float, key: str = "duration") -> timedelta:
    """'30m', '2h', '3d' (or a number of seconds) as a timedelta."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    m = _DURATION.match(str(value))
    if not m:
        raise ConfigError(f"{key}: expected a duration like '30m', '2h' or '3d', got {value!r}")
    return timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})


@dataclass
class TelegramConfig:
    """[telegram]"""

    token: str | None = None
    webhook_url: str | None = None
    secret_token: str | None = None
    base_url: str | None = None
    admins: list[int] = field(default_factory=list)


@dataclass
class WechatConfig:
    """[wechat]"""

    token: str | None = None
    app_id: str | None = None
    app_secret: str | None = None
    encoding_aes_key: str | None = None
    admins: list[str] = field(default_factory=list)
    api_base_url: str | None = None
    template_id: str | None = None
    passive_budget: float | None = None  # seconds to answer a push passively (None: the channel's default)
    max_body: int | None = None  # bytes a push may have (None: the channel's default)
    template_fields: dict[str, str] = field(default_factory=dict)  # our field -> the template's


@dataclass
class WecomConfig:
    """[wecom]: the 企业微信 self-built app (自建应用) for staff."""

    corp_id: str | None = None
    agent_id: int | None = None
    secret: str | None = None
    token: str | None = None
    encoding_aes_key: str | None = None
    api_base_url: str | None = None
    admins: list[str] = field(default_factory=list)  # WeCom userids made admins of the whole territory


@dataclass
class WebConfig:
    """[web]: the web office (on when base_url is set) and its map tiles."""

    base_url: str = ""
    tiles_url: str = ""
    tiles_attribution: str = ""
    secret: str = ""  # signs CSRF tokens; a random one per start when empty
    second_factor: str = "optional"  # "required": admins must sign in with a TOTP code too
    replies: str = ""  # the office's reply templates (TOML); the shipped ones when empty


@dataclass
class Open311Config:
    """[open311]: the GeoReport v2 API (on when at least one key is configured)."""

    api_keys: dict[str, str] = field(default_factory=dict)  # key -> client name (the ticket's source)
    jurisdiction_id: str = ""
    rate_limit: str = "20/minute"  # POSTs per key, in the `limits` notation ("20/minute;200/day")


@dataclass(frozen=True)
class HotlineSource:
    """One city platform that pushes orders: its name (the orders' source) and its signing secret."""

    name: str
    secret: str
    key: str = ""  # the key id the platform signs with (and our pushes to it carry)
    callback: str = (
        ""  # the city's URL for our 签收, 回复, 退单 and 延期 ("" = replies go back as the export)
    )


@dataclass
class HotlineConfig:
    """[hotline]: the city's 12345 platform pushing orders and 回访 results (on when a source is set)."""

    sources: dict[str, HotlineSource] = field(default_factory=dict)  # key id -> source
    max_skew_seconds: int = 300  # a push's timestamp may be this far from ours (replays are refused)


@dataclass
class ObservabilityConfig:
    """[metrics] and [log]: Prometheus metrics (off unless listen is set) and the log format."""

    metrics_listen: str = ""  # HOST:PORT of a separate listener for /metrics; "" = off
    metrics_token: str = ""  # when set, /metrics wants `Authorization: Bearer TOKEN`
    log_format: str = "text"  # "text" or "json" (one JSON object per line)
    log_level: str = "INFO"


@dataclass
class Config:
    """Everything Jiesu reads from its config file."""

    database_url: str = DEFAULT_DB_URL
    database_pool_size: int = 8
    rules: Rules = field(default_factory=Rules)
    console_admins: list[str] = field(default_factory=lambda: ["admin"])
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    wechat: WechatConfig = field(default_factory=WechatConfig)
    wecom: WecomConfig = field(default_factory=WecomConfig)
    http_listen: str = "127.0.0.1:8080"
    web: WebConfig = field(default_factory=WebConfig)
    open311: Open311Config = field(default_factory=Open311Config)
    hotline: HotlineConfig = field(default_factory=HotlineConfig)
    seed_demo: bool = True
    demo_given: bool = False  # [subdistrict] demo is written in the file (jiesu run seeds only then)
    warnings: list[str] = field(default_factory=list)  # keys in the file that nothing reads
    delivery_grace: float = 10.0  # seconds SIGTERM waits for sends in flight
    observe: ObservabilityConfig = field(default_factory=ObservabilityConfig)


def _whole(value: Any, key: str) -> int:
    """A whole number from the file (true, 1.5 and "10" are not)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: expected a whole number, got {value!r}")
    return value


def _number(value: Any, key: str) -> float:
    """A number from the file, whole or not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    return float(value)


def _timezone(value: Any, key: str) -> str:
    """An IANA time zone name that this system knows."""
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}: unknown time zone {value!r}, e.g. 'Asia/Shanghai'") from None
    return str(value)


class _Table(dict[str, Any]):
    """A table of the file that remembers which keys the loader asked for."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def _section(raw: _Table, name: str) -> _Table:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    if not isinstance(value, _Table):
        value = raw[name] = _Table(value)
    return value


def _nearest(key: str, known: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown_keys(raw: _Table) -> list[str]:
    """One warning per key that the loader never read: a typo, or a setting Jiesu does not have."""
    out = []
    for name, value in raw.items():
        if name not in raw.asked:
            out.append(f"unknown section [{name}]{_nearest(name, raw.asked)}, ignored")
        elif isinstance(value, _Table):
            out += [
                f"[{name}] unknown key {key!r}{_nearest(key, value.asked)}, ignored"
                for key in value
                if key not in value.asked
            ]
    return out


def _dates(values: list[Any], key: str) -> frozenset[date]:
    out = set()
    for v in values:
        try:
            out.add(v if isinstance(v, date) else date.fromisoformat(str(v)))
        except ValueError:
            raise ConfigError(f"{key}: {v!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(out)


def parse_clock_time(value: Any, key: str) -> time:
    """'08:30' (local time of day) as a time."""
    if isinstance(value, time):
        return value
    try:
        hours, minutes = (int(part) for part in str(value).strip().split(":"))
        return time(hours, minutes)
    except ValueError:
        raise ConfigError(f"{key}: expected a time of day like '08:30', got {value!r}") from None


def _span(value: object, key: str) -> tuple[time, time]:
    """'08:30-12:00' as a pair of local times."""
    text = str(value).strip()
    if text.count("-") != 1:
        raise ConfigError(f"{key}: expected a span like '08:30-12:00', got {value!r}")
    start, end = (parse_clock_time(part, key) for part in text.split("-"))
    if start == end:
        raise ConfigError(f"{key}: a span must not start and end at the same time, got {value!r}")
    return start, end


def _office_hours(value: object) -> tuple[tuple[time, time], ...]:
    """[sla] office_hours: a list of same-day spans, in order; [] means always open."""
    if not isinstance(value, list):
        raise ConfigError("sla.office_hours: expected a list like ['08:30-12:00', '13:30-17:30']")
    spans = [_span(v, "sla.office_hours") for v in value]
    if any(start > end for start, end in spans) or any(a[1] > b[0] for a, b in itertools.pairwise(spans)):
        raise ConfigError("sla.office_hours: spans must lie within one day, in order, without overlap")
    return tuple(spans)


def _quiet_hours(value: object) -> tuple[time, time] | None:
    """[sla] quiet_hours: one span, may cross midnight; '' means never quiet."""
    return None if str(value).strip() == "" else _span(value, "sla.quiet_hours")


def _sla(raw: _Table) -> SlaPolicy:
    s = _section(raw, "sla")
    base = SlaPolicy()
    given = s.get("reminders", base.reminder_fractions)
    if not isinstance(given, list | tuple) or any(
        isinstance(f, bool) or not isinstance(f, int | float) or not 0 < f < 1 for f in given
    ):
        raise ConfigError("sla.reminders: each fraction must be between 0 and 1, e.g. [0.5, 0.8]")
    fractions = tuple(float(f) for f in given)
    days = {
        k: _whole(s.get(k, getattr(base, k)), f"sla.{k}")
        for k in ("simple_days", "difficult_days", "pending_days", "consult_days")
    }
    if any(v < 1 for v in days.values()):
        raise ConfigError("sla: simple_days, difficult_days, pending_days, consult_days must be at least 1")
    positive = {
        key: parse_duration(s.get(key, default), f"sla.{key}")
        for key, default in (
            ("claim_within", "2h"),
            ("sign_within", "30m"),
            ("property_claim_within", "30m"),
            ("property_handle_within", "1d"),
            ("max_pause", "15d"),
            ("progress_push_every", "1d"),
            ("overdue_repeat", "1d"),
            ("scan_every", "1m"),
        )
    }
    if any(v <= timedelta(0) for v in positive.values()):
        raise ConfigError(
            "sla: claim_within, progress_push_every, overdue_repeat and scan_every must be longer than zero"
        )
    return SlaPolicy(
        claim_within=positive["claim_within"],
        sign_within=positive["sign_within"],
        property_claim_within=positive["property_claim_within"],
        property_handle_within=positive["property_handle_within"],
        max_pause=positive["max_pause"],
        reminder_fractions=tuple(sorted(fractions)),
        followup_reminder_after=parse_duration(
            s.get("followup_reminder_after", "24h"), "sla.followup_reminder_after"
        ),
        followup_autoclose_after=parse_duration(
            s.get("followup_autoclose_after", "3d"), "sla.followup_autoclose_after"
        ),
        progress_push_after=parse_duration(s.get("progress_push_after", "24h"), "sla.progress_push_after"),
        progress_push_every=positive["progress_push_every"],
        working_days=bool(s.get("working_days", False)),
        holidays=_dates(s.get("holidays", []), "sla.holidays"),
        workdays_extra=_dates(s.get("extra_workdays", []), "sla.extra_workdays"),
        national_holidays=bool(s.get("national_holidays", True)),
        timezone=_timezone(s.get("timezone", base.timezone), "sla.timezone"),
        overdue_repeat=positive["overdue_repeat"],
        digest_time=parse_clock_time(s.get("digest_time", "08:30"), "sla.digest_time"),
        scan_every=positive["scan_every"],
        office_hours=_office_hours(s.get("office_hours", ["08:30-12:00", "13:30-17:30"])),
        quiet_hours=_quiet_hours(s.get("quiet_hours", "21:30-07:30")),
        urgent_categories=frozenset(
            str(c) for c in s.get("urgent_categories", sorted(base.urgent_categories))
        ),
        **days,
    )


def _storage(raw: _Table) -> StoragePolicy:
    """[storage]: how long seen keys and finished outbox rows are kept."""
    st = _section(raw, "storage")
    base = StoragePolicy()
    seen = parse_duration(st.get("seen_keys_for", "3d"), "storage.seen_keys_for")
    outbox = parse_duration(st.get("outbox_for", "30d"), "storage.outbox_for")
    if seen < REDELIVERY_WINDOW:
        raise ConfigError(
            f"storage.seen_keys_for: at least {REDELIVERY_WINDOW.total_seconds() / 3600:g}h "
            "(Telegram redelivers an update for about a day; a shorter time would answer it twice)"
        )
    if outbox <= timedelta(0):
        raise ConfigError("storage.outbox_for: must be longer than zero")
    return replace(base, seen_keys_for=seen, outbox_for=outbox)


def _points(raw: _Table) -> PointsPolicy:
    p = _section(raw, "points")
    base = PointsPolicy()
    whole = {
        k: _whole(p.get(k, getattr(base, k)), f"points.{k}")
        for k in ("close", "double_yes", "grab", "meet", "overdue", "city_double_yes", "report", "idea")
    }
    chat_double_yes = p.get("chat_double_yes", base.chat_double_yes)
    if not isinstance(chat_double_yes, bool):
        raise ConfigError(f"points.chat_double_yes: expected true or false, got {chat_double_yes!r}")
    return PointsPolicy(chat_double_yes=chat_double_yes, **whole)


def _telegram_ids(values: Any, key: str) -> list[int]:
    """Telegram user ids: numbers (or strings of digits), not @usernames."""
    try:
        return [int(v) for v in values if not isinstance(v, bool)]
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: expected numeric Telegram user ids, got {values!r}") from None


def _grace(value: Any) -> float:
    """[delivery] grace_seconds: how long a stop waits for sends in flight (0 to 300 s)."""
    seconds = _number(value, "delivery.grace_seconds")
    if not 0 <= seconds <= 300:
        raise ConfigError(f"delivery.grace_seconds: expected 0 to 300 seconds, got {value!r}")
    return seconds


_BACKENDS = ("sqlite", "postgresql")


def check_database_url(url: str, key: str = "database.url") -> str:
    """The URL itself when it names SQLite or PostgreSQL, else a ConfigError saying what to write."""
    expected = "write sqlite:///FILE or postgresql://USER@HOST/DATABASE"
    scheme, sep, _ = url.partition("://")
    backend = scheme.split("+", 1)[0].lower()
    if not sep or not backend.isidentifier():
        raise ConfigError(f"{key}: database URL is not a URL; {expected}")
    if backend == "postgres":
        raise ConfigError(f"{key}: database URL starts with postgres://; write postgresql:// instead")
    if backend not in _BACKENDS:
        raise ConfigError(
            f"{key}: database URL of kind {backend!r}: Jiesu keeps its data in SQLite or PostgreSQL; "
            + expected
        )
    return url


def check_listen(value: Any, key: str) -> str:
    """HOST:PORT (an IPv6 host in brackets), e.g. 127.0.0.1:8080."""
    text = str(value).strip()
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        hint = f"{text}:8080" if text and ":" not in text else "127.0.0.1:8080"
        raise ConfigError(f"{key}: expected HOST:PORT like {hint!r}, got {value!r}")
    return text


def _observe(raw: _Table, env: dict[str, str]) -> ObservabilityConfig:
    m, lg = _section(raw, "metrics"), _section(raw, "log")
    listen = str(m.get("listen", "")).strip()
    fmt = str(env.get("JIESU_LOG_FORMAT") or lg.get("format", "text"))
    if fmt not in ("text", "json"):
        raise ConfigError(f"log.format: expected 'text' or 'json', got {fmt!r}")
    level = str(lg.get("level", "INFO")).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"log.level: expected DEBUG, INFO, WARNING or ERROR, got {level!r}")
    return ObservabilityConfig(
        metrics_listen=check_listen(listen, "metrics.listen") if listen else "",
        metrics_token=str(env.get("JIESU_METRICS_TOKEN") or m.get("token", "")),
        log_format=fmt,
        log_level=level,
    )


def _web(raw: _Table, env: dict[str, str]) -> WebConfig:
    w = _section(raw, "web")
    tiles = w.get("tiles", {})
    if isinstance(tiles, str):
        tiles = {"url": tiles}
    if not isinstance(tiles, dict):
        raise ConfigError("web.tiles: expected a table like { url = '…/{z}/{x}/{y}.png', attribution = '…' }")
    base = str(env.get("JIESU_WEB_BASE_URL") or w.get("base_url", "")).rstrip("/")
    if base and not base.startswith(("http://", "https://")):
        raise ConfigError(f"web.base_url: expected an http:// or https:// address, got {base!r}")
    return WebConfig(
        base_url=base,
        tiles_url=str(tiles.get("url", "")),
        tiles_attribution=str(tiles.get("attribution", "")),
        secret=str(env.get("JIESU_WEB_SECRET") or w.get("secret", "")),
        second_factor=_second_factor(w),
        replies=str(w.get("replies", "")),
    )


def _second_factor(w: _Table) -> str:
    value = str(w.get("second_factor", "optional"))
    if value not in ("optional", "required"):
        raise ConfigError(f'web.second_factor: expected "optional" or "required", got {value!r}')
    return value


def _open311(raw: _Table, env: dict[str, str]) -> Open311Config:
    o = _section(raw, "open311")
    keys: dict[str, str] = {}
    for pair in filter(None, env.get("JIESU_OPEN311_API_KEYS", "").split(",")):  # name=key,name=key
        name, sep, key = pair.partition("=")
        if not sep or not name.strip() or not key.strip():
            raise ConfigError("JIESU_OPEN311_API_KEYS: expected name=key pairs separated by commas")
        keys[key.strip()] = name.strip()[:80]
    for entry in o.get("api_keys", []):
        if not isinstance(entry, dict) or not entry.get("key") or not entry.get("name"):
            raise ConfigError(
                "open311.api_keys: each entry needs a name and a key, e.g. {name='12345', key='…'}"
            )
        keys[str(entry["key"])] = str(entry["name"])[:80]
    rate = str(o.get("rate_limit", Open311Config.rate_limit))
    try:
        parse_many(rate)
    except ValueError:
        raise ConfigError(f'open311.rate_limit: expected e.g. "20/minute", got {rate!r}') from None
    return Open311Config(api_keys=keys, jurisdiction_id=str(o.get("jurisdiction_id", "")), rate_limit=rate)


def _hotline(raw: _Table) -> HotlineConfig:
    h = _section(raw, "hotline")
    sources: dict[str, HotlineSource] = {}
    for entry in h.get("sources", []):
        if not isinstance(entry, dict) or not all(entry.get(k) for k in ("name", "key", "secret")):
            raise ConfigError(
                "hotline.sources: each entry needs a name, a key and a secret, "
                "e.g. {name='12345', key='bj12345', secret='…'}"
            )
        if len(str(entry["secret"])) < 16:
            raise ConfigError(
                f"hotline.sources: the secret of {entry['name']!r} must be at least 16 characters"
            )
        callback = str(entry.get("callback", ""))
        if callback and not callback.startswith(("https://", "http://")):
            raise ConfigError(
                f"hotline.sources: the callback of {entry['name']!r} must be an http(s) URL, got {callback!r}"
            )
        key = str(entry["key"])
        sources[key] = HotlineSource(str(entry["name"])[:80], str(entry["secret"]), key, callback)
    skew = _whole(h.get("max_skew_seconds", 300), "hotline.max_skew_seconds")
    if not 10 <= skew <= 3600:
        raise ConfigError(f"hotline.max_skew_seconds: expected 10 to 3600, got {skew}")
    return HotlineConfig(sources=sources, max_skew_seconds=skew)


def _template_fields(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError('wechat.template_fields: expected a table like { title = "first" }')
    return {str(k): str(v) for k, v in value.items()}


def _limits(raw: _Table) -> Limits:
    photos = _whole(_section(raw, "report").get("max_photos", Limits().photos_max), "report.max_photos")
    if not 1 <= photos <= 10:
        raise ConfigError(f"report.max_photos: expected 1 to 10, got {photos}")
    return Limits(photos_max=photos)


def _wechat(wx: _Table, env: dict[str, str]) -> WechatConfig:
    budget, max_body = wx.get("passive_budget"), wx.get("max_body")
    return WechatConfig(
        token=env.get("JIESU_WECHAT_TOKEN") or wx.get("token"),
        app_id=wx.get("app_id"),
        app_secret=env.get("JIESU_WECHAT_APP_SECRET") or wx.get("app_secret"),
        encoding_aes_key=env.get("JIESU_WECHAT_AES_KEY") or wx.get("encoding_aes_key"),
        admins=[str(a) for a in wx.get("admins", [])],
        api_base_url=wx.get("api_base_url"),
        template_id=wx.get("template_id"),
        passive_budget=None if budget is None else _number(budget, "wechat.passive_budget"),
        max_body=None if max_body is None else _whole(max_body, "wechat.max_body"),
        template_fields=_template_fields(wx.get("template_fields", {})),
    )


def _wecom(wc: _Table, env: dict[str, str]) -> WecomConfig:
    agent = wc.get("agent_id")
    return WecomConfig(
        corp_id=env.get("JIESU_WECOM_CORP_ID") or wc.get("corp_id"),
        agent_id=None if agent is None else _whole(agent, "wecom.agent_id"),
        secret=env.get("JIESU_WECOM_SECRET") or wc.get("secret"),
        token=env.get("JIESU_WECOM_TOKEN") or wc.get("token"),
        encoding_aes_key=env.get("JIESU_WECOM_AES_KEY") or wc.get("encoding_aes_key"),
        api_base_url=wc.get("api_base_url"),
        admins=[str(a) for a in wc.get("admins", [])],
    )


def load(
    path: str | Path | None = None, env: dict[str, str] | None = None, *, log_warnings: bool = True
) -> Config:
    """Read a config file (or the built-in defaults) and apply environment overrides.

    Keys that nothing reads are not an error (an older or newer file still starts) but each one
    is listed in Config.warnings with the nearest key that exists, and logged unless the caller
    says it shows them itself (`jiesu` prints them).
    """
    try:
        env = with_file_secrets(dict(os.environ) if env is None else env)
    except SecretFileError as exc:
        raise ConfigError(str(exc)) from None
    raw = _Table({})
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        try:
            raw = _Table(tomllib.loads(p.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    db = _section(raw, "database")
    sub = _section(raw, "subdistrict")
    tg = _section(raw, "telegram")
    wx = _section(raw, "wechat")
    console = _section(raw, "console")
    web = _web(raw, env)
    hotline = _hotline(raw)
    rules = Rules(
        sla=_sla(raw),
        points=_points(raw),
        limits=_limits(raw),
        storage=_storage(raw),
        subdistrict_name=str(sub.get("name", "北苑街道")),
        nearest_grid_km=_number(sub.get("nearest_grid_km", 3.0), "subdistrict.nearest_grid_km"),
        chart_dir=str(_section(raw, "stats").get("chart_dir", "out/charts")),
        web_base_url=web.base_url,
        retention_days=_whole(_section(raw, "privacy").get("retention_days", 365), "privacy.retention_days"),
        consult_category=str(_section(raw, "consult").get("category", "livelihood")),
        city_callbacks=frozenset(s.name for s in hotline.sources.values() if s.callback),
    )
    config = Config(
        database_url=check_database_url(env.get("JIESU_DATABASE_URL") or str(db.get("url", DEFAULT_DB_URL))),
        database_pool_size=_whole(db.get("pool_size", 8), "database.pool_size"),
        rules=rules,
        console_admins=[str(a) for a in console.get("admins", ["admin"])],
        telegram=TelegramConfig(
            token=env.get("JIESU_TELEGRAM_TOKEN") or tg.get("token"),
            webhook_url=tg.get("webhook_url"),
            secret_token=env.get("JIESU_TELEGRAM_SECRET_TOKEN") or tg.get("secret_token"),
            base_url=tg.get("base_url"),
            admins=_telegram_ids(tg.get("admins", []), "telegram.admins"),
        ),
        wechat=_wechat(wx, env),
        wecom=_wecom(_section(raw, "wecom"), env),
        http_listen=check_listen(_section(raw, "http").get("listen", "127.0.0.1:8080"), "http.listen"),
        web=web,
        open311=_open311(raw, env),
        hotline=hotline,
        seed_demo=bool(sub.get("demo", True)),
        demo_given="demo" in sub,
        delivery_grace=_grace(_section(raw, "delivery").get("grace_seconds", 10)),
        observe=_observe(raw, env),
    )
    config.warnings = _unknown_keys(raw)
    for warning in config.warnings if log_warnings else ():
        log.warning("config: %s", warning)
    return config
