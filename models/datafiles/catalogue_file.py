"""The service catalogue file (TOML): category → item → sub-item, owners, 135 tiers, keywords, flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..tables import Tier
from .problems import (
    Collector,
    DataFileError,
    check_code,
    check_name,
    check_strings,
    read_toml,
    unknown_keys,
)

# The three levels: table name in the file, the key of the level below, what it is called.
LEVELS = (
    ("categories", "items", "category"),
    ("categories.items", "subitems", "item"),
    ("categories.items.subitems", None, "sub-item"),
)
COMMON_KEYS = {
    "code",
    "name",
    "department",
    "tier",
    "keywords",
    "no_deadline",
    "urgent",
    "catch_all",
    "open_to_volunteers",
    "route",
    "first",
}
ROUTES = ("mediation",)  # who handles a category instead of grid workers (inherited downwards)
TIERS = (Tier.SIMPLE, Tier.DIFFICULT, Tier.PENDING)
# Who gets a ticket first (有事您找我): the compound's property company, or the grid (the default).
FIRST_PROPERTY = "property"
FIRST_GRID = "grid"
FIRSTS = (FIRST_PROPERTY, FIRST_GRID)


@dataclass(frozen=True)
class Node:
    """One category, item or sub-item with its effective settings."""

    code: str
    name: str
    parent: str | None
    depth: int
    tier: Tier
    department: str | None  # as written (None: inherited, or the territory's owner at the top)
    urgent: bool
    keywords: tuple[str, ...]
    catch_all: bool
    position: int
    where: str
    open_to_volunteers: bool = False  # volunteers may grab its tickets (inherited by the items below)
    route: str | None = None  # "mediation": its tickets go to mediators (models/mediation_routing.py)
    first: str | None = None  # FIRST_PROPERTY, or None for the grid (inherited downwards)


@dataclass(frozen=True)
class CatalogueFile:
    """A checked catalogue: its nodes in file order."""

    path: Path
    nodes: tuple[Node, ...]

    def by_code(self) -> dict[str, Node]:
        """Nodes by code."""
        return {n.code: n for n in self.nodes}


@dataclass(frozen=True)
class CheckedCatalogue:
    """A parsed catalogue and the warnings found on the way."""

    catalogue: CatalogueFile
    collector: Collector


def parse(path: Path, departments: dict[str, tuple[str, ...]] | None = None) -> CheckedCatalogue:
    """Read and check a catalogue; departments are the live ones (code -> categories they own)."""
    raw, locator = read_toml(path)
    c = Collector(path, locator)
    unknown_keys(c, "file", raw, {"categories"}, "the catalogue file")
    top = raw.get("categories")
    if not isinstance(top, list) or not top:
        c.error(
            "file", "[[categories]]", "add [[categories]] tables, each with code, name, department and tier"
        )
        raise DataFileError(c.errors)
    owners = {cat: code for code, cats in (departments or {}).items() for cat in cats}
    nodes: list[Node] = []
    counters = [0, 0, 0]
    _walk(c, top, None, 0, counters, nodes, owners, departments)
    _check_unique(c, nodes)
    catch_all = [n for n in nodes if n.depth == 0 and n.catch_all]
    if len(catch_all) != 1:
        c.error(
            "file",
            "catch_all",
            f"{len(catch_all)} top-level categories have catch_all = true; mark exactly one "
            '(e.g. code = "other", name = "其他") so every report has somewhere to go',
        )
    if departments is None:
        c.warn(
            "file",
            "department",
            "no territory to check against (give --territory FILE, or import one first): "
            "department codes are not checked",
        )
    c.raise_if_errors()
    return CheckedCatalogue(CatalogueFile(path, tuple(nodes)), c)


def _walk(
    c: Collector,
    raw: list[Any],
    parent: Node | None,
    depth: int,
    counters: list[int],
    nodes: list[Node],
    owners: dict[str, str],
    departments: dict[str, tuple[str, ...]] | None,
) -> None:
    table, below, what = LEVELS[depth]
    children: list[Node] = []
    for item in raw:
        index = counters[depth]
        counters[depth] += 1
        where = c.at(table, index)
        if not isinstance(item, dict):
            c.error(where, what, f"expected a [[{table}]] table")
            continue
        allowed = COMMON_KEYS | ({below} if below else set())
        unknown_keys(c, where, item, allowed, f"a {what}")
        node = _node(c, table, index, item, parent, depth, len(nodes), owners, departments, what)
        if node is None:
            continue
        nodes.append(node)
        children.append(node)
        if below and item.get(below) is not None:
            sub = item[below]
            if not isinstance(sub, list):
                c.error(where, below, f"write each one as a [[{table}.{below}]] table")
            else:
                _walk(c, sub, node, depth + 1, counters, nodes, owners, departments)
    if parent is not None and depth == 1 and children:
        catch = [n for n in children if n.catch_all]
        if len(catch) != 1:
            c.error(
                parent.where,
                "catch_all",
                f"category {parent.code!r} has {len(catch)} items with catch_all = true; mark exactly one "
                f'(e.g. name = "其他{parent.name}问题") for what fits no other item',
            )


def _node(
    c: Collector,
    table: str,
    index: int,
    item: dict[str, Any],
    parent: Node | None,
    depth: int,
    position: int,
    owners: dict[str, str],
    departments: dict[str, tuple[str, ...]] | None,
    what: str,
) -> Node | None:
    where = c.at(table, index)
    code = check_code(c, c.at(table, index, "code"), item.get("code"))
    name = check_name(c, c.at(table, index, "name"), item.get("name"))
    flags = {}
    for flag in ("no_deadline", "urgent", "catch_all", "open_to_volunteers"):
        value = item.get(flag)
        if value is not None and not isinstance(value, bool):
            c.error(c.at(table, index, flag), flag, f"{value!r}: write {flag} = true or leave it out")
            value = None
        flags[flag] = value
    tier = _tier(c, table, index, item, parent, flags["no_deadline"], code)
    department = item.get("department")
    if department is not None:
        if not isinstance(department, str):
            c.error(c.at(table, index, "department"), "department", 'write a department code, e.g. "dept-cg"')
            department = None
        elif depth == 0 and code is not None and owners.get(code, department) != department:
            c.error(
                c.at(table, index, "department"),
                "department",
                f"{department!r}, but the territory lists {code!r} under {owners[code]!r}; "
                "write the same department in both files (or leave department out here)",
            )
        elif departments is not None and department not in departments:
            known = ", ".join(sorted(departments)) or "none"
            c.error(
                c.at(table, index, "department"),
                "department",
                f"{department!r} is no department of the territory; use one of: {known}",
            )
    elif depth == 0 and code is not None and code not in owners and departments is not None:
        c.error(
            where,
            "department",
            f'category {code!r} has no owner; add department = "…" or list {code!r} under a '
            "department's categories in the territory file",
        )
    keywords = check_strings(c, c.at(table, index, "keywords"), item.get("keywords"), "keywords")
    first = _first(c, c.at(table, index, "first"), item.get("first"), parent)
    if code is None or name is None or tier is None:
        return None
    urgent = flags["urgent"] if flags["urgent"] is not None else bool(parent and parent.urgent)
    route = _route(c, c.at(table, index, "route"), item.get("route"), parent)
    if urgent and first == FIRST_PROPERTY and (item.get("first") is not None or flags["urgent"]):
        c.warn(
            where,
            "first",
            f"{code!r} is urgent: it goes straight to the community and the department, not to the "
            'property company first; write first = "grid" here to say so (or drop urgent)',
        )
    return Node(
        code=code,
        name=name,
        parent=parent.code if parent else None,
        depth=depth,
        tier=tier,
        department=department,
        urgent=urgent,
        keywords=keywords,
        catch_all=bool(flags["catch_all"]),
        position=position,
        where=where,
        open_to_volunteers=_inherited(flags["open_to_volunteers"], parent),
        route=route,
        first=first,
    )


def _inherited(flag: bool | None, parent: Node | None) -> bool:
    """open_to_volunteers as written, else the parent's."""
    return flag if flag is not None else bool(parent and parent.open_to_volunteers)


def _route(c: Collector, where: str, value: object, parent: Node | None) -> str | None:
    """A category's route as written, else its parent's."""
    if value is None:
        return parent.route if parent else None
    if value not in ROUTES:
        c.error(
            where, "route", f'{value!r}: write route = "mediation" (disputes, to mediators) or leave it out'
        )
        return None
    return str(value)


def _first(c: Collector, where: str, raw: Any, parent: Node | None) -> str | None:
    """Who answers first: as written, else as the level above says."""
    if raw is None:
        return parent.first if parent is not None else None
    if raw not in FIRSTS:
        c.error(
            where,
            "first",
            f'{raw!r}: write first = "property" (the compound\'s property company answers first, the '
            'community steps in when it does not) or first = "grid" (the grid worker, as by default)',
        )
        return None
    return FIRST_PROPERTY if raw == FIRST_PROPERTY else None


def _tier(
    c: Collector,
    table: str,
    index: int,
    item: dict[str, Any],
    parent: Node | None,
    no_deadline: bool | None,
    code: str | None,
) -> Tier | None:
    raw = item.get("tier")
    where = c.at(table, index, "tier")
    if no_deadline:
        if raw is not None:
            c.error(where, "tier", "no_deadline = true has no 135 tier; remove tier (or no_deadline)")
            return None
        return Tier.NONE
    if raw is None:
        if parent is not None:
            return parent.tier
        c.error(
            c.at(table, index), "tier", f'category {code!r} needs tier = "simple", "difficult" or "pending"'
        )
        return None
    if raw not in {t.value for t in TIERS}:
        c.error(
            where,
            "tier",
            f'{raw!r}: write "simple" (1 day), "difficult" (3 days) or "pending" (plan in 5 days)',
        )
        return None
    return Tier(raw)


def _check_unique(c: Collector, nodes: list[Node]) -> None:
    seen: dict[str, str] = {}
    for n in nodes:
        if n.code in seen:
            c.error(
                n.where, "code", f"{n.code!r} is already used at {seen[n.code]}; every code must be unique"
            )
        seen.setdefault(n.code, n.where)
    siblings: dict[tuple[str | None, str], str] = {}
    for n in nodes:
        key = (n.parent, n.name)
        if key in siblings:
            c.error(
                n.where,
                "name",
                f"{n.name!r} is already a choice at {siblings[key]}; residents could not tell them apart",
            )
        siblings.setdefault(key, n.where)
