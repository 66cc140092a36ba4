"""The demo is not a trap: `jiesu demo remove` and `territory import --replace-demo` clear it while unused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.cli import main
from models import demo
from models.store.database import Database
from models.tables import Category, KeyValue, RoleGrant

from .harness import Harness
from .test_territory_files import areas
from .town import CATALOGUE, TOWN, import_town


def read(db_url: str, fn: object) -> object:
    """Run a read on the database in its own transaction."""
    database = Database(db_url)
    try:
        return database.run_sync(fn)  # type: ignore[arg-type]
    finally:
        database.close()


def counts(s: Session) -> tuple[int, int]:
    """(categories, role grants) in the database."""
    return (
        s.scalar(select(func.count()).select_from(Category)) or 0,
        s.scalar(select(func.count()).select_from(RoleGrant)) or 0,
    )


async def seeded(db_url: str) -> None:
    """A database a first start seeded with the demo (as `jiesu console` or an old `jiesu run` did)."""
    h = await Harness.create(db_url)
    h.close()


async def test_remove_clears_an_unused_demo_and_the_office_imports_its_own(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dry run lists what goes; the removal deletes areas, catalogue and grants; the import then works."""
    await seeded(db_url)
    assert read(db_url, demo.holds_demo)
    assert main(["demo", "remove", "--dry-run", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dry run: the built-in 北苑街道 demo at ")
    assert "is 18 areas, 127 categories, 1 role grants" in out and out.endswith("; nothing was written\n")
    assert len(areas(db_url)) == 18

    assert main(["demo", "remove", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "removed the built-in 北苑街道 demo from" in out and "jiesu doctor" in out
    assert areas(db_url) == {}
    assert read(db_url, counts) == (0, 0)
    assert read(db_url, lambda s: s.scalar(select(KeyValue).where(KeyValue.key == demo.MARKER))) is None

    assert main(["territory", "import", "--db", db_url, str(TOWN)]) == 0
    assert main(["catalogue", "import", "--db", db_url, str(CATALOGUE)]) == 0
    assert areas(db_url)["east-1"] == ("东一网格", False)
    assert not read(db_url, demo.holds_demo)


async def test_remove_is_refused_once_tickets_were_filed(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A demo someone filed a report on stays, with the reason and what to do instead; nothing changes."""
    h = await Harness.create(db_url)
    try:
        await h.quick_report()
    finally:
        h.close()
    assert main(["demo", "remove", "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "the demo was used: 1 tickets were filed on this database" in err
    assert "start your office on a new database" in err and "nothing was removed" in err
    assert len(areas(db_url)) == 18


async def test_remove_refuses_an_office_territory(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The office's own territory is never taken for the demo."""
    import_town(db_url)
    assert main(["demo", "remove", "--db", db_url]) == 1
    assert "holds no demo data (subdistrict town (测试街道)); nothing was removed" in capsys.readouterr().err
    assert areas(db_url)["town"] == ("测试街道", False)


def test_remove_creates_no_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With no database there, the command says so and creates none."""
    path = tmp_path / "none.db"
    assert main(["demo", "remove", "--db", f"sqlite:///{path}"]) == 1
    assert "no Jiesu database at" in capsys.readouterr().err
    assert not path.exists()


async def test_import_over_the_demo_says_how_to_clear_it(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The office's territory over the demo is refused with the two ways out; --replace-demo is one step."""
    await seeded(db_url)
    assert main(["territory", "import", "--db", db_url, str(TOWN)]) == 1
    err = capsys.readouterr().err
    assert "this database holds the built-in demo subdistrict 'beiyuan' (北苑街道)" in err
    assert "`jiesu demo remove`, or import with --replace-demo" in err
    assert len(areas(db_url)) == 18

    assert main(["territory", "import", "--replace-demo", "--db", db_url, str(TOWN)]) == 0
    out = capsys.readouterr().out
    assert "\n  remove the built-in demo: 18 areas, 127 categories" in out
    assert set(areas(db_url)) == {
        "town",
        "dept-a",
        "dept-b",
        "east",
        "east-1",
        "east-2",
        "west",
        "west-1",
        "west-2",
    }


async def test_replace_demo_without_a_demo_is_refused(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--replace-demo on an office's database changes nothing and says why."""
    import_town(db_url)
    assert main(["territory", "import", "--replace-demo", "--db", db_url, str(TOWN)]) == 1
    assert "this database holds no demo data" in capsys.readouterr().err


async def test_a_demo_seeded_before_the_marker_is_still_recognised(db_url: str) -> None:
    """A database seeded by an older Jiesu (no marker row) is known as the demo by its areas."""
    await seeded(db_url)

    def unmark(s: Session) -> None:
        s.execute(delete(KeyValue).where(KeyValue.key == demo.MARKER))

    read(db_url, unmark)
    assert read(db_url, demo.holds_demo)


async def test_an_office_file_under_the_demos_code_is_the_offices_data(db_url: str, tmp_path: Path) -> None:
    """北苑 itself importing its own file (code beiyuan) over the demo: the data is no longer the demo."""
    await seeded(db_url)
    text = TOWN.read_text(encoding="utf-8").replace('code = "town"', 'code = "beiyuan"')
    text = text.replace(
        'boundaries = "town-grids.geojson"', f'boundaries = "{TOWN.parent / "town-grids.geojson"}"'
    )
    path = tmp_path / "territory.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["territory", "import", "--db", db_url, str(path)]) == 0
    assert not read(db_url, demo.holds_demo)
