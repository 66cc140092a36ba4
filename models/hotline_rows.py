"""A city dispatch list (xlsx, csv or pushed JSON) read into checked rows, each problem with its row."""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .policy import Limits

# Our field -> the header the 12345 terminal's export uses for it.
HEADERS: dict[str, str] = {
    "number": "工单编号",
    "dispatched_at": "派单时间",
    "category": "问题分类",
    "description": "诉求内容",
    "address": "诉求地址",
    "caller": "诉求人",
    "phone": "联系电话",
    "deadline": "办结时限",
    "urgency": "紧急程度",
}
REQUIRED = ("number", "dispatched_at", "category", "description", "address", "deadline")
NUMBER_MAX = 60
PHONE_MAX = 40
URGENCY_MAX = 20
CATEGORY_MAX = 80
HEADER_ROWS = 5  # the header row is looked for among a sheet's first rows (a title may stand above it)
_NUMBER = re.compile(r"^[0-9A-Za-z_\-]+$")
_PHONE = re.compile(r"^[0-9+\-() ]+$")
_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
)
_DATES = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日")


class FileError(ValueError):
    """The file as a whole cannot be read (wrong type, sheet or headers); nothing is imported."""


@dataclass(frozen=True)
class Mapping_:
    """An office's column names, category names and fallback category (examples/hotline-mapping.toml)."""

    headers: dict[str, str] = field(default_factory=lambda: dict(HEADERS))
    categories: dict[str, str] = field(default_factory=dict)  # the city's name -> our category code
    fallback: str = "other"
    sheet: str | None = None
    required: tuple[str, ...] = REQUIRED


def load_mapping(path: Path | None) -> Mapping_:
    """The default mapping, or the one in a TOML file (unknown fields refused)."""
    if path is None:
        return Mapping_()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FileError(f"{path}: not a readable TOML mapping file: {exc}") from None
    columns = raw.get("columns", {})
    unknown = sorted(set(columns) - set(HEADERS))
    if unknown:
        raise FileError(f"{path}: [columns] has unknown fields {unknown}; known: {sorted(HEADERS)}")
    cats = raw.get("categories", {})
    if not isinstance(columns, dict) or not isinstance(cats, dict):
        raise FileError(f"{path}: [columns] and [categories] must be tables of names")
    return Mapping_(
        headers={**HEADERS, **{str(k): str(v) for k, v in columns.items()}},
        categories={str(k): str(v) for k, v in cats.items()},
        fallback=str(raw.get("fallback_category", "other")),
        sheet=str(raw["sheet"]) if "sheet" in raw else None,
    )


@dataclass(frozen=True)
class OrderRow:
    """One checked city order."""

    row: int  # the row number in the file (1 = the first line), or the item's index in a push
    number: str
    dispatched_at: datetime
    category: str  # as the city wrote it
    description: str
    address: str
    deadline: datetime
    caller: str | None = None
    phone: str | None = None
    urgency: str | None = None


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row, and what to fix (for the operator)."""

    row: int
    column: str
    what: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.what}"


@dataclass
class Read:
    """The rows of a file or a push that passed, and the problems of the rest."""

    rows: list[OrderRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def bad_rows(self) -> set[int]:
        """Row numbers with at least one problem."""
        return {p.row for p in self.problems}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value))
    return " ".join("".join(c if c.isprintable() or c in "\n\t" else " " for c in text).split())


def parse_time(value: Any, zone: ZoneInfo, *, end_of_day: bool) -> datetime | None:
    """A cell as an aware time: a datetime (local), a date (its start or end), or text in a usual form."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59) if end_of_day else time(0), zone)
    text = _text(value)
    if not text:
        return None
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            pass
    for fmt in _DATES:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return datetime.combine(day, time(23, 59, 59) if end_of_day else time(0), zone)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=zone)


def check_row(
    row: int, values: Mapping[str, Any], headers: Mapping[str, str], limits: Limits, zone: ZoneInfo
) -> OrderRow | list[Problem]:
    """One order's values (by our field names) checked: the order, or every problem found."""
    problems: list[Problem] = []

    def bad(name: str, what: str) -> None:
        problems.append(Problem(row, headers.get(name, name), what))

    text = {name: _text(values.get(name)) for name in HEADERS if name not in ("dispatched_at", "deadline")}
    for name in REQUIRED:
        if name in text and not text[name]:
            bad(name, "empty; every order needs it")
    limits_of = {
        "number": NUMBER_MAX,
        "category": CATEGORY_MAX,
        "description": limits.description_max,
        "address": limits.address_max,
        "caller": limits.name_max,
        "phone": PHONE_MAX,
        "urgency": URGENCY_MAX,
    }
    for name, limit in limits_of.items():
        if len(text[name]) > limit:
            bad(name, f"{len(text[name])} characters, at most {limit}; shorten it")
    if text["number"] and not _NUMBER.match(text["number"]):
        bad("number", f"{text['number'][:30]!r} is not a city number (letters, digits, - and _ only)")
    if text["phone"] and not _PHONE.match(text["phone"]):
        bad("phone", f"{text['phone'][:20]!r} is not a phone number (digits, +, - only)")
    when: dict[str, datetime | None] = {}
    for name, end in (("dispatched_at", False), ("deadline", True)):
        raw = values.get(name)
        if raw is None or _text(raw) == "":
            bad(name, "empty; every order needs it")
            when[name] = None
            continue
        when[name] = parse_time(raw, zone, end_of_day=end)
        if when[name] is None:
            bad(name, f"{_text(raw)[:30]!r} is not a date; write e.g. 2026-12-07 09:30")
    start, due = when["dispatched_at"], when["deadline"]
    if start is not None and due is not None and due <= start:
        bad("deadline", "is not after the 派单时间; check the two dates")
    if problems or start is None or due is None:
        return problems
    return OrderRow(
        row=row,
        number=text["number"],
        dispatched_at=start,
        category=text["category"],
        description=text["description"],
        address=text["address"],
        deadline=due,
        caller=text["caller"] or None,
        phone=text["phone"] or None,
        urgency=text["urgency"] or None,
    )


def check_rows(
    items: Iterable[tuple[int, Mapping[str, Any]]], headers: Mapping[str, str], limits: Limits, zone: ZoneInfo
) -> Read:
    """Check every row; a city number given twice is a problem of its second row."""
    out = Read()
    first: dict[str, int] = {}
    for row, values in items:
        checked = check_row(row, values, headers, limits, zone)
        if isinstance(checked, list):
            out.problems.extend(checked)
            continue
        if checked.number in first:
            out.problems.append(
                Problem(
                    row,
                    headers.get("number", "number"),
                    f"{checked.number} is also on row {first[checked.number]}; remove one of them",
                )
            )
            continue
        first[checked.number] = row
        out.rows.append(checked)
    return out


def _by_field(header_row: list[Any], mapping: Mapping_) -> dict[str, int] | list[str]:
    """Our field -> the column index, or the required headers that are missing."""
    names = [_text(h) for h in header_row]
    columns = {}
    for name, header in mapping.headers.items():
        if header in names:
            columns[name] = names.index(header)
    missing = [mapping.headers[n] for n in mapping.required if n not in columns]
    return missing if missing else columns


def _table(
    rows: Iterable[tuple[Any, ...]], mapping: Mapping_
) -> tuple[dict[str, int], int, list[tuple[Any, ...]]] | list[str]:
    """Find the header row among the first rows; (columns, header row number, rows) or what is missing."""
    listed = list(rows)
    best: list[str] | None = None
    for index, header in enumerate(listed[:HEADER_ROWS]):
        found = _by_field(list(header), mapping)
        if isinstance(found, dict):
            return found, index + 1, listed[index + 1 :]
        if best is None or len(found) < len(best):
            best = found
    return best if best is not None else [mapping.headers[n] for n in mapping.required]


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The sheets of an .xlsx workbook, or the one table of a .csv file, as rows of cells."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise FileError(f"{path}: no such file")
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = path.read_text(encoding="gb18030")
            except UnicodeDecodeError:
                raise FileError(f"{path}: neither UTF-8 nor GB18030 text; save it as CSV UTF-8") from None
        return {"csv": [tuple(r) for r in csv.reader(io.StringIO(text))]}
    if suffix in (".xlsx", ".xlsm"):
        return _sheets(path)
    raise FileError(f"{path}: expected an .xlsx or .csv export, not {suffix or 'a file without a suffix'}")


def _located(
    path: Path, mapping: Mapping_, sheet: str | None
) -> tuple[dict[str, int], Iterable[tuple[int, dict[str, Any]]]]:
    """The columns and the non-blank rows (numbered as in the file) of the sheet with the headers."""
    tables = _tables(path)
    wanted = sheet or mapping.sheet
    if wanted is not None and "csv" not in tables:
        if wanted not in tables:
            raise FileError(f"{path}: no sheet {wanted!r}; the sheets are {list(tables)}")
        tables = {wanted: tables[wanted]}
    missing: dict[str, list[str]] = {}
    for name, rows in tables.items():
        found = _table(rows, mapping)
        if isinstance(found, list):
            missing[name] = found
            continue
        columns, header_at, body = found

        def items(
            columns: dict[str, int] = columns, header_at: int = header_at, body: list[tuple[Any, ...]] = body
        ) -> Iterable[tuple[int, dict[str, Any]]]:
            for offset, cells in enumerate(body, start=header_at + 1):
                if all(_text(c) == "" for c in cells):
                    continue  # blank lines between or after the orders
                yield offset, {f: cells[i] if i < len(cells) else None for f, i in columns.items()}

        return columns, items()
    detail = "; ".join(f"sheet {n!r} lacks {m}" for n, m in missing.items())
    raise FileError(f"{path}: no sheet has the headers needed ({detail}); map others with --mapping")


def read_file(
    path: Path, mapping: Mapping_, limits: Limits, zone: ZoneInfo, sheet: str | None = None
) -> Read:
    """Read an .xlsx or .csv dispatch list; FileError when the file, its sheet or its headers are wrong."""
    _, items = _located(path, mapping, sheet)
    return check_rows(items, mapping.headers, limits, zone)


# The 回访 results' headers, and the answers read as yes or no.
RESULT_HEADERS = {
    "number": "工单编号",
    "responded": "是否响应",
    "resolved": "是否解决",
    "satisfied": "是否满意",
}
YES = frozenset(
    {"是", "已响应", "响应", "已解决", "解决", "满意", "非常满意", "基本满意", "1", "y", "yes", "true"}
)
NO = frozenset({"否", "未响应", "未解决", "不满意", "非常不满意", "0", "n", "no", "false"})


@dataclass(frozen=True)
class VisitRow:
    """One checked 回访 result."""

    row: int
    number: str
    responded: bool
    resolved: bool
    satisfied: bool


def check_visits(items: Iterable[tuple[int, Mapping[str, Any]]]) -> tuple[list[VisitRow], list[Problem]]:
    """Check 回访 results: a known answer in each column, one row per city number."""
    rows: list[VisitRow] = []
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for row, values in items:
        number = _text(values.get("number"))
        answers: dict[str, bool] = {}
        bad = False
        if not number or len(number) > NUMBER_MAX or not _NUMBER.match(number):
            problems.append(Problem(row, RESULT_HEADERS["number"], f"{number[:30]!r} is not a city number"))
            bad = True
        for name in ("responded", "resolved", "satisfied"):
            word = _text(values.get(name)).lower()
            if word in YES:
                answers[name] = True
            elif word in NO:
                answers[name] = False
            else:
                problems.append(Problem(row, RESULT_HEADERS[name], f"{word[:20]!r} is neither 是 nor 否"))
                bad = True
        if bad:
            continue
        if number in first:
            problems.append(
                Problem(row, RESULT_HEADERS["number"], f"{number} is also on row {first[number]}")
            )
            continue
        first[number] = row
        rows.append(VisitRow(row, number, answers["responded"], answers["resolved"], answers["satisfied"]))
    return rows, problems


def read_visits(path: Path, sheet: str | None = None) -> tuple[list[VisitRow], list[Problem]]:
    """Read the city's 回访 results (.xlsx or .csv)."""
    mapping = Mapping_(headers=dict(RESULT_HEADERS), required=tuple(RESULT_HEADERS))
    _, items = _located(path, mapping, sheet)
    return check_visits(items)


def _sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise FileError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()


def read_items(items: list[Any], limits: Limits, zone: ZoneInfo) -> Read:
    """Pushed orders (JSON objects by our field names, or by the terminal's headers)."""
    by_header = {v: k for k, v in HEADERS.items()}
    out: list[tuple[int, dict[str, Any]]] = []
    bad = Read()
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            bad.problems.append(Problem(index, "order", "is not a JSON object"))
            continue
        out.append((index, {by_header.get(str(k), str(k)): v for k, v in item.items()}))
    read = check_rows(out, {k: k for k in HEADERS}, limits, zone)
    read.problems = bad.problems + read.problems
    return read
