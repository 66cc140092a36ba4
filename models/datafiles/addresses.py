"""小区, street and building names of grids, and matching a typed address against them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz, process

from ..folding import nfkc

# "春晗路 1-99号", "现代花园 3幢", "现代花园 1-5栋", "鼎盛小区 2号楼"
_NUMBERED = re.compile(
    r"^(?P<base>.*?)\s*(?P<lo>\d+)(?:\s*[-~～至到]\s*(?P<hi>\d+))?\s*(?P<unit>号楼|号院|号|幢|栋|座)$"
)
_BUILDING_UNITS = ("号楼", "幢", "栋", "座")
_BUILDING_IN_ADDRESS = re.compile(r"(\d+)\s*(?:号楼|幢|栋|座)")
_NUMBER_AFTER_STREET = re.compile(r"^(\d+)")
# A fuzzy hit at or above this (rapidfuzz partial_ratio, 0-100) is offered for the resident to confirm.
FUZZY_CUTOFF = 75.0
FUZZY_MIN_LENGTH = 3


class Kind(StrEnum):
    """What a listed name stands for."""

    PLACE = "place"  # a 小区 or a landmark: the whole of it
    STREET = "street"  # house numbers lo..hi on a street
    BUILDING = "building"  # buildings lo..hi of a 小区


@dataclass(frozen=True)
class Entry:
    """One listed name, normalised, with the area it leads to."""

    key: str
    kind: Kind
    lo: int = 0
    hi: int = 0
    area_id: int = 0


def normalise(text: str) -> str:
    """Full-width to ASCII, no spaces, lower case, without the word 小区."""
    text = nfkc(text)
    return "".join(text.split()).lower().replace("小区", "")


def parse_name(name: str, area_id: int = 0) -> Entry | str:
    """A listed name as an entry, or what is wrong with it (in words for the office)."""
    flat = nfkc(name).strip()
    m = _NUMBERED.match(flat)
    if m is None:
        key = normalise(flat)
        if not key:
            return f"{name!r} is empty once spaces and 小区 are removed; write the 小区 or street name"
        return Entry(key, Kind.PLACE, area_id=area_id)
    base = normalise(m.group("base"))
    lo = int(m.group("lo"))
    hi = int(m.group("hi") or lo)
    unit = m.group("unit")
    if not base:
        if unit in _BUILDING_UNITS:
            return f'{name!r} names a building without its 小区; write e.g. "现代花园 {lo}{unit}"'
        return f'{name!r} names a house number without its street; write e.g. "春晗路 {lo}{unit}"'
    if hi < lo:
        return f'{name!r}: the range runs backwards; write the smaller number first, e.g. "{hi}-{lo}{unit}"'
    kind = Kind.BUILDING if unit in _BUILDING_UNITS else Kind.STREET
    return Entry(base, kind, lo, hi, area_id)


class MatchKind(StrEnum):
    """How a typed address relates to the listed names."""

    ONE = "one"  # one clear grid
    SEVERAL = "several"  # the resident picks
    NONE = "none"


@dataclass(frozen=True)
class AddressMatch:
    """The grids a typed address may belong to, best first."""

    kind: MatchKind
    area_ids: tuple[int, ...] = ()


class AddressIndex:
    """Every listed name of every grid, ready to match typed addresses."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        # Exact: every listed key by itself, looked up for each substring of the address of a
        # length that some key has (a few dozen dictionary lookups, whatever the number of names).
        self._by_key: dict[str, list[Entry]] = {}
        for e in entries:
            self._by_key.setdefault(e.key, []).append(e)
        self._lengths = sorted({len(k) for k in self._by_key})
        fuzzy: dict[str, set[int]] = {}
        for e in entries:
            if e.kind != Kind.STREET and len(e.key) >= FUZZY_MIN_LENGTH:
                fuzzy.setdefault(e.key, set()).add(e.area_id)
        self._fuzzy_keys = list(fuzzy)
        self._fuzzy_areas = [sorted(fuzzy[k]) for k in self._fuzzy_keys]
        # Near spellings: only keys sharing a two-character piece with the address are scored. One
        # wrong character in a key of four or more leaves at least one of its pieces intact, and
        # shorter keys with a wrong character stay under FUZZY_CUTOFF, so nothing is lost.
        self._bigrams: dict[str, list[int]] = {}
        for index, key in enumerate(self._fuzzy_keys):
            for piece in {key[i : i + 2] for i in range(len(key) - 1)}:
                self._bigrams.setdefault(piece, []).append(index)

    @classmethod
    def of(cls, names: dict[int, tuple[str, ...]]) -> AddressIndex:
        """Index the names listed for each area id (names that do not parse are skipped)."""
        entries = []
        for area_id, listed in names.items():
            for name in listed:
                entry = parse_name(name, area_id)
                if isinstance(entry, Entry):
                    entries.append(entry)
        return cls(entries)

    def match(self, address: str, limit: int = 6) -> AddressMatch:
        """Exact names first (most specific wins); else near spellings, for the resident to confirm."""
        q = normalise(address)
        if not q or not self.entries:
            return AddressMatch(MatchKind.NONE)
        best: dict[int, int] = {}
        for start in range(len(q)):
            for length in self._lengths:
                end = start + length
                if end > len(q):
                    break
                for e in self._by_key.get(q[start:end], ()):
                    score = _score(e, q[end:])
                    if score and score > best.get(e.area_id, 0):
                        best[e.area_id] = score
        if best:
            top = max(best.values())
            winners = tuple(a for a, s in sorted(best.items(), key=lambda kv: (-kv[1], kv[0])) if s == top)
            kind = MatchKind.ONE if len(winners) == 1 else MatchKind.SEVERAL
            return AddressMatch(kind, winners[:limit])
        candidates = sorted({i for j in range(len(q) - 1) for i in self._bigrams.get(q[j : j + 2], ())})
        hits = process.extract(
            q,
            [self._fuzzy_keys[i] for i in candidates],
            scorer=fuzz.partial_ratio,
            score_cutoff=FUZZY_CUTOFF,
            limit=limit,
        )
        found: list[int] = []
        for _key, _score_value, index in hits:
            for area_id in self._fuzzy_areas[candidates[index]]:
                if area_id not in found:
                    found.append(area_id)
        if not found:
            return AddressMatch(MatchKind.NONE)
        return AddressMatch(MatchKind.SEVERAL, tuple(found[:limit]))


def _score(entry: Entry, rest: str) -> int:
    """How well an address that contains the entry's key fits it (0: it contradicts it)."""
    if entry.kind == Kind.PLACE:
        return 100
    if entry.kind == Kind.STREET:
        m = _NUMBER_AFTER_STREET.match(rest)
        if m is None:
            return 90  # the street alone: any grid along it
        return 120 if entry.lo <= int(m.group(1)) <= entry.hi else 0
    m = _BUILDING_IN_ADDRESS.search(rest)
    if m is None:
        return 90  # the 小区 alone: any grid that holds part of it
    return 120 if entry.lo <= int(m.group(1)) <= entry.hi else 0
