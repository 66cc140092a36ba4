"""Problems found in a data file, each naming the file, the line or feature, the field and the fix."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
NAME_MAX = 80


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where, which field, and what to write instead."""

    file: str
    where: str
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        return f"{self.file}:{self.where}: {kind}: {self.field}: {self.message}"


class DataFileError(Exception):
    """A file that cannot be imported; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Locator:
    """Line numbers of the tables of a TOML file (tomllib keeps none)."""

    lines: list[str]
    headers: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str) -> Locator:
        """Index every [table] and [[array of tables]] header."""
        lines = text.splitlines()
        headers: dict[str, list[int]] = {}
        for number, line in enumerate(lines, start=1):
            m = re.match(r"^\s*\[\[?\s*([A-Za-z0-9_.\s]+?)\s*\]\]?\s*(#.*)?$", line)
            if m:
                headers.setdefault(m.group(1).replace(" ", ""), []).append(number)
        return cls(lines, headers)

    def line(self, table: str, index: int = 0, key: str | None = None) -> int | None:
        """The line of a table's header, or of one key inside it (the nth table of that name)."""
        starts = self.headers.get(table, [])
        if index >= len(starts):
            return None
        start = starts[index]
        if key is None:
            return start
        following = [n for ns in self.headers.values() for n in ns if n > start]
        end = min(following, default=len(self.lines) + 1)
        for number in range(start + 1, end):
            if re.match(rf"^\s*{re.escape(key)}\s*=", self.lines[number - 1]):
                return number
        return start


class Collector:
    """Gathers the problems of one file."""

    def __init__(self, path: Path, locator: Locator | None = None) -> None:
        self.path = path
        self.locator = locator or Locator([])
        self.problems: list[Problem] = []

    def at(self, table: str, index: int, key: str | None = None) -> str:
        """'line N' for a table (or one of its keys), else a description of the table."""
        number = self.locator.line(table, index, key)
        return f"line {number}" if number is not None else f"[[{table}]] #{index + 1}"

    def error(self, where: str, field_name: str, message: str) -> None:
        """Record a problem that stops the import."""
        self.problems.append(Problem(str(self.path), where, field_name, message))

    def warn(self, where: str, field_name: str, message: str) -> None:
        """Record something worth knowing that does not stop the import."""
        self.problems.append(Problem(str(self.path), where, field_name, message, warning=True))

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop the import."""
        return [p for p in self.problems if not p.warning]

    def raise_if_errors(self) -> None:
        """Stop here when anything is wrong."""
        if self.errors:
            raise DataFileError(self.errors)


def read_toml(path: Path) -> tuple[dict[str, Any], Locator]:
    """Parse a TOML file, or raise a DataFileError that says where it stopped."""
    if not path.is_file():
        raise DataFileError(
            [Problem(str(path), "file", "path", "file not found; give the path of a .toml file")]
        )
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError([Problem(str(path), "file", "syntax", f"not valid TOML: {exc}")]) from None
    return data, Locator.of(text)


def check_code(c: Collector, where: str, value: Any, field_name: str = "code") -> str | None:
    """A code as commands use it: lower-case letters, digits, '-' and '_', at most 40."""
    if not isinstance(value, str) or not CODE.match(value):
        c.error(
            where,
            field_name,
            f"{value!r} is not a code; write lower-case letters, digits, '-' or '_' (e.g. \"siji-1\")",
        )
        return None
    return value


def check_name(c: Collector, where: str, value: Any, field_name: str = "name") -> str | None:
    """A display name: text of 1 to 80 characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX:
        c.error(
            where, field_name, f"{value!r} is not a name; write the Chinese name, 1 to {NAME_MAX} characters"
        )
        return None
    return value.strip()


def check_strings(c: Collector, where: str, value: Any, field_name: str) -> tuple[str, ...]:
    """A list of non-empty strings (absent: empty)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        c.error(
            where, field_name, f'{value!r} is not a list of texts; write e.g. ["现代花园", "春晗路 1-99号"]'
        )
        return ()
    return tuple(v.strip() for v in value)


def unknown_keys(c: Collector, where: str, table: dict[str, Any], allowed: set[str], what: str) -> None:
    """Report keys a table does not know (a typo would otherwise be silently ignored)."""
    for key in sorted(set(table) - allowed):
        c.error(where, key, f"unknown key in {what}; allowed: {', '.join(sorted(allowed))}")
