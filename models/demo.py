"""The demo subdistrict (北苑街道): the example territory and catalogue files, imported on an empty database.

The files are examples/beiyuan/*, copied into this package (models/demo_data/) so that an
installed jiesu finds them; tests/test_territory_files.py keeps the two copies identical.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .datafiles import catalogue_file, territory_file
from .datafiles.importing import import_catalogue, import_territory, live_departments
from .store.unit_of_work import Rules, Unit
from .tables import Area, Category

DATA = Path(__file__).resolve().parent / "demo_data"
TERRITORY = DATA / "territory.toml"
CATALOGUE = DATA / "catalogue.toml"


def _no_moves(*_: object) -> None:  # pragma: no cover - an empty database has no tickets to move
    raise AssertionError("the demo seed moves no tickets")


def seed(session: Session) -> bool:
    """Import the demo territory and catalogue into an empty database; False when it holds areas."""
    if session.scalar(select(Area.id).limit(1)) is not None:
        return False
    u = Unit(session, datetime.now(UTC), Rules())
    import_territory(u, territory_file.parse(TERRITORY).territory, None, _no_moves)
    if session.scalar(select(Category.id).limit(1)) is None:
        checked = catalogue_file.parse(CATALOGUE, live_departments(u))
        import_catalogue(u, checked.catalogue, None, _no_moves)
    session.flush()
    return True
