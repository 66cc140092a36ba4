"""The test territory of tests/data/ (测试街道, drawn in GCJ-02) on a database, driven like the demo."""

from __future__ import annotations

from pathlib import Path

from bot.config import load
from handlers.moving import move_to_area, move_to_category
from models.datafiles import catalogue_file, territory_file
from models.datafiles.importing import Report, import_catalogue, import_territory, live_departments
from models.migrations import upgrade
from models.refdata import forget
from models.store.database import Database
from models.store.unit_of_work import Rules, Unit

from .harness import Harness

DATA = Path(__file__).resolve().parent / "data"
TOWN = DATA / "town.toml"
CATALOGUE = DATA / "town-catalogue.toml"
STAFF = DATA / "town-staff.toml"


def import_town(db_url: str, territory: Path = TOWN, catalogue: Path | None = CATALOGUE) -> list[Report]:
    """Import the test territory (and catalogue) as `jiesu … import` does, in one transaction."""
    from models.clock import FakeClock

    db = Database(db_url)
    try:
        upgrade(db.engine)

        def work(s: object) -> list[Report]:
            u = Unit(s, FakeClock().now(), Rules())  # type: ignore[arg-type]
            reports = [import_territory(u, territory_file.parse(territory).territory, None, move_to_area)]
            if catalogue is not None:
                cat = catalogue_file.parse(catalogue, live_departments(u)).catalogue
                reports.append(import_catalogue(u, cat, None, move_to_category))
            return reports

        reports = db.run_sync(work)  # type: ignore[arg-type]
        db.run_sync(forget)
        return reports
    finally:
        db.close()


async def town_harness(db_url: str) -> Harness:
    """A harness on the test territory (demo off), console admin 'admin' over the whole town."""
    import_town(db_url)
    config = load(None, env={})
    config.seed_demo = False
    return await Harness.create(db_url, config)
