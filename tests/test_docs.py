"""The README stays a front door and the reference in docs/ stays true to the tree it describes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from . import timing

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
ARCHITECTURE = DOCS / "architecture.md"
PACKAGES = ("bot", "handlers", "models", "scheduler")
README_MOST = 10_500  # characters: a front door of about 10,000

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)
_PATH_IN_TABLE = re.compile(r"`((?:bot|handlers|models|scheduler)/[\w./-]*)`")


def _prose(text: str) -> str:
    """Markdown without fenced blocks and inline code, where neither links nor headings live."""
    return _CODE.sub("", _FENCE.sub("", text))


def _pages() -> list[Path]:
    """The README and every page in docs/."""
    return [README, *sorted(DOCS.glob("*.md"))]


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    """Every heading anchor of a page, with GitHub's -1, -2 … for repeated headings."""
    seen: Counter[str] = Counter()
    anchors: set[str] = set()
    for _, heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        slug = _slug(heading)
        anchors.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return anchors


def _section(text: str, title: str) -> str:
    """The body of a level-2 section, up to the next level-2 heading."""
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"docs/architecture.md has no '## {title}' section"
    return match.group(1)


def _table_rows() -> list[tuple[int, str]]:
    """(line number, first cell) of every table row of "Where things are", headers left out."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    body = _section(text, "Where things are")
    first_line = text[: text.index(body)].count("\n") + 1
    rows: list[tuple[int, str]] = []
    for offset, line in enumerate(body.splitlines()):
        if not line.startswith("|"):
            continue
        cell = line.strip("|").split("|")[0].strip()
        if cell in ("Module", "") or set(cell) <= set("-: "):
            continue
        rows.append((first_line + offset, cell))
    return rows


def _modules() -> set[str]:
    """Every module of the four packages as the table names it: a package by its folder."""
    names: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            names.add(rel.removesuffix("__init__.py") if path.name == "__init__.py" else rel)
    return names


def test_readme_is_a_front_door() -> None:
    """The README stays short enough to read at the door and still gives the two commands."""
    text = README.read_text(encoding="utf-8")
    assert len(text) < README_MOST, (
        f"README.md is {len(text)} characters (at most {README_MOST}): move reference text into docs/"
    )
    for command in ("make demo", "make test"):
        assert command in text, f"README.md no longer says `{command}` (.ci/run and the stop hook rely on it)"


def test_every_module_has_a_row() -> None:
    """Every module of bot/, handlers/, models/ and scheduler/ is in "Where things are", once."""
    rows = _table_rows()
    named: Counter[str] = Counter()
    malformed = []
    for line, cell in rows:
        match = re.fullmatch(r"`([^`]+)`", cell)
        if match is None:
            malformed.append(f"  line {line}: first cell {cell!r} is not one `path`")
        else:
            named[match.group(1)] += 1
    missing = sorted(_modules() - set(named))
    twice = sorted(name for name, count in named.items() if count > 1)
    problems = [
        *malformed,
        *(f"  no row for `{name}`" for name in missing),
        *(f"  `{name}` has {named[name]} rows" for name in twice),
    ]
    assert not problems, (
        "docs/architecture.md, 'Where things are' (one row per .py file; a package by its folder, "
        "e.g. `bot/channels/`, stands for its __init__.py):\n" + "\n".join(problems)
    )


def test_every_path_in_the_table_exists() -> None:
    """Every path "Where things are" names is still in the tree, so a moved module is renamed there too."""
    text = _section(ARCHITECTURE.read_text(encoding="utf-8"), "Where things are")
    stale = []
    for name in sorted(set(_PATH_IN_TABLE.findall(text))):
        path = ROOT / name
        if name.endswith("__init__.py"):
            stale.append(f"  `{name}`: name the package by its folder, `{name.removesuffix('__init__.py')}`")
        elif not (path.is_dir() if name.endswith("/") else path.is_file()):
            stale.append(f"  `{name}` does not exist")
    assert not stale, "docs/architecture.md, 'Where things are' names what is not there:\n" + "\n".join(stale)


def test_relative_links_lead_somewhere() -> None:
    """Every relative link in the README and docs/ opens an existing file, at an existing heading."""
    broken = []
    for page in _pages():
        for target in _LINK.findall(_prose(page.read_text(encoding="utf-8"))):
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto: …
                continue
            file_part, _, anchor = target.partition("#")
            dest = (page.parent / file_part).resolve() if file_part else page
            where = f"  {page.relative_to(ROOT)}: ({target})"
            if not dest.exists():
                broken.append(f"{where}: no such file")
            elif anchor and (dest.suffix != ".md" or anchor not in _anchors(dest)):
                broken.append(f"{where}: no heading with that anchor in {dest.relative_to(ROOT)}")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_text_is_not_a_heading_on_the_site() -> None:
    """A line GitHub shows as text (one starting with a ticket's #12) is no heading on the site either."""
    headings = [
        f"  {page.relative_to(ROOT)}: {line}"
        for page in _pages()
        for line in _FENCE.sub("", page.read_text(encoding="utf-8")).splitlines()
        if re.match(r"#+[^#\s]", line)
    ]
    assert not headings, "lines that mkdocs would make headings (rewrap them):\n" + "\n".join(headings)


def test_docs_build_as_a_site(tmp_path: Path) -> None:
    """`make docs` builds docs/ into a site without a warning (mkdocs --strict: pages, nav, anchors)."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timing.bound(120),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "architecture" / "index.html").is_file()
