"""Territory, catalogue and staff files: every validation error, check, dry run, idempotent import, retire."""

from __future__ import annotations

import filecmp
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import prcoords
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli import main
from models import demo
from models.datafiles import catalogue_file, staff_file, territory_file
from models.datafiles.problems import DataFileError
from models.store.database import Database
from models.tables import Area, Category, Person, RoleGrant, StaffInvite, Status

from .harness import Harness
from .town import CATALOGUE, DATA, STAFF, TOWN, import_town, town_harness

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
[subdistrict]
code = "t"
name = "测试街道"
datum = "gcj02"

[[departments]]
code = "dept-a"
name = "综合办"
categories = ["city"]

[[communities]]
code = "east"
name = "东社区"

[[communities.grids]]
code = "east-1"
name = "东一网格"
centre = [120.155, 30.255]
boundary = [[120.150, 30.250], [120.160, 30.250], [120.160, 30.260], [120.150, 30.260]]
names = ["现代花园"]

[[communities.grids]]
code = "east-2"
name = "东二网格"
boundary = [[120.160, 30.250], [120.170, 30.250], [120.170, 30.260], [120.160, 30.260]]
"""

FEATURES = """{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"code": "%s"},
  "geometry": {"type": "Polygon",
               "coordinates": [[[120.1, 30.1], [120.2, 30.1], [120.2, 30.2], [120.1, 30.1]]]}}
]}"""

# (what is wrong, (old, new) edits of BASE, words the error must hold)
TERRITORY_ERRORS = [
    ("syntax", [('name = "测试街道"', 'name = "测试街道')], ["not valid TOML"]),
    ("datum", [('datum = "gcj02"', 'datum = "mercator"')], ["line 4", "datum", 'write datum = "gcj02"']),
    ("code", [('code = "east-1"', 'code = "East 1"')], ["line 16", "code", "not a code"]),
    ("name", [('name = "东二网格"', 'name = ""')], ["line 24", "name", "write the Chinese name"]),
    (
        "swapped",
        [("centre = [120.155, 30.255]", "centre = [30.255, 120.155]")],
        ["line 18", "[longitude, latitude]"],
    ),
    (
        "corners",
        [("[[120.160, 30.250], [120.170, 30.250], [120.170, 30.260], [120.160, 30.260]]", "[[1, 2]]")],
        ["boundary", "at least three corners"],
    ),
    (
        "bowtie",
        [
            (
                "[[120.160, 30.250], [120.170, 30.250], [120.170, 30.260]",
                "[[120.160, 30.250], [120.170, 30.260], [120.170, 30.250]",
            )
        ],
        ["boundary", "not valid", "Self-intersection"],
    ),
    (
        "overlap",
        [("[[120.160, 30.250], [120.170, 30.250]", "[[120.155, 30.250], [120.170, 30.250]")],
        ["grids east-1 and east-2 overlap"],
    ),
    ("duplicate", [('code = "east-2"', 'code = "east-1"')], ["'east-1' is already used at line 15"]),
    ("typo", [('names = ["现代花园"]', 'nmaes = ["现代花园"]')], ["nmaes", "unknown key in a grid"]),
    (
        "building",
        [('names = ["现代花园"]', 'names = ["3幢"]')],
        ["names a building without its 小区", "现代花园 3幢"],
    ),
    ("range", [('names = ["现代花园"]', 'names = ["春晗路 99-1号"]')], ["runs backwards"]),
    (
        "no grids",
        [('[[communities.grids]]\ncode = "east-2"', '[[communities]]\ncode = "west"')],
        ["community west has no [[communities.grids]]"],
    ),
    (
        "owned twice",
        [
            (
                'categories = ["city"]',
                'categories = ["city"]\n\n[[departments]]\ncode = "dept-b"\n'
                'name = "平安办"\ncategories = ["city"]',
            )
        ],
        ["'city' is already owned by dept-a"],
    ),
    (
        "geojson missing",
        [('datum = "gcj02"', 'datum = "gcj02"\nboundaries = "nowhere.geojson"')],
        ["boundaries", "nowhere.geojson not found"],
    ),
]


def write(tmp_path: Path, text: str, name: str = "territory.toml") -> Path:
    """A file in the test's directory."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(parse: object, path: Path) -> str:
    """The text of the DataFileError a parse raises."""
    with pytest.raises(DataFileError) as caught:
        parse(path)  # type: ignore[operator]
    return "\n".join(str(p) for p in caught.value.problems)


@pytest.mark.parametrize(("case", "edits", "words"), TERRITORY_ERRORS, ids=[c[0] for c in TERRITORY_ERRORS])
def test_each_territory_error_names_file_line_field_and_fix(
    tmp_path: Path, case: str, edits: list[tuple[str, str]], words: list[str]
) -> None:
    """Each mistake in a territory file is refused with the file, where, the field and what to write."""
    text = BASE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = write(tmp_path, text)
    message = errors_of(territory_file.parse, path)
    assert message.startswith(str(path) + ":")
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(
    ("case", "feature", "words"),
    [
        ("no code", FEATURES.replace('"code": "%s"', '"kind": "grid"'), ["feature 1", "properties.code"]),
        ("unknown code", FEATURES % "nowhere-1", ["feature 1", "'nowhere-1' is no grid or community"]),
        (
            "lat first",
            FEATURES.replace("[120.1, 30.1], [120.2", "[30.1, 120.1], [120.2") % "east-2",
            ["feature 1", "geometry"],
        ),
        ("twice", FEATURES % "east-2", ["grid east-2 has an inline boundary", "keep one of them"]),
    ],
)
def test_each_geojson_error_names_the_feature(
    tmp_path: Path, case: str, feature: str, words: list[str]
) -> None:
    """A bad feature of the GeoJSON file is named by its number and field."""
    write(tmp_path, feature, "grids.geojson")
    path = write(tmp_path, BASE.replace('datum = "gcj02"', 'datum = "gcj02"\nboundaries = "grids.geojson"'))
    message = errors_of(territory_file.parse, path)
    for word in words:
        assert word in message, message


CATALOGUE_BASE = """\
[[categories]]
code = "city"
name = "城管"
tier = "simple"

  [[categories.items]]
  code = "road"
  name = "道路破损"

  [[categories.items]]
  code = "city-other"
  name = "其他城管问题"
  catch_all = true

[[categories]]
code = "other"
name = "其他"
tier = "simple"
department = "dept-a"
catch_all = true
"""

CATALOGUE_ERRORS = [
    (
        "top catch-all",
        [('department = "dept-a"\ncatch_all = true', 'department = "dept-a"')],
        ["0 top-level categories have catch_all = true"],
    ),
    (
        "item catch-all",
        [("  catch_all = true\n", "")],
        ["line 1", "category 'city' has 0 items with catch_all"],
    ),
    ("tier", [('tier = "simple"', 'tier = "easy"')], ["line 4", "tier", "'easy'", '"difficult" (3 days)']),
    (
        "no deadline and tier",
        [('name = "其他"\ntier = "simple"', 'name = "其他"\ntier = "simple"\nno_deadline = true')],
        ["no_deadline = true has no 135 tier"],
    ),
    (
        "unknown department",
        [('department = "dept-a"', 'department = "dept-x"')],
        ["'dept-x' is no department of the territory; use one of: dept-a"],
    ),
    ("no owner", [('department = "dept-a"\n', "")], ["category 'other' has no owner"]),
    (
        "other owner",
        [('code = "city"\nname = "城管"', 'code = "city"\nname = "城管"\ndepartment = "dept-b"')],
        ["the territory lists 'city' under 'dept-a'"],
    ),
    (
        "fourth level",
        [
            (
                '  name = "道路破损"\n',
                '  name = "道路破损"\n\n    [[categories.items.subitems]]\n'
                '    code = "a"\n    name = "甲"\n\n      [[categories.items.subitems.subitems]]\n'
                '      code = "b"\n      name = "乙"\n',
            )
        ],
        ["subitems", "unknown key in a sub-item"],
    ),
    ("same name", [('name = "道路破损"', 'name = "其他城管问题"')], ["'其他城管问题' is already a choice"]),
    ("flag", [("catch_all = true\n\n", 'catch_all = "yes"\n\n')], ["catch_all", "write catch_all = true"]),
]


@pytest.mark.parametrize(("case", "edits", "words"), CATALOGUE_ERRORS, ids=[c[0] for c in CATALOGUE_ERRORS])
def test_each_catalogue_error_names_file_line_field_and_fix(
    tmp_path: Path, case: str, edits: list[tuple[str, str]], words: list[str]
) -> None:
    """Each mistake in a catalogue file is refused with where, the field and what to write."""
    text = CATALOGUE_BASE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = write(tmp_path, text, "catalogue.toml")
    message = errors_of(lambda p: catalogue_file.parse(p, {"dept-a": ("city",), "dept-b": ()}), path)
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            '[[people]]\nname = "王"\nrole = "worker"\nscopes = ["e-1"]\nphone = "12345"\n',
            ["line 5", "phone", "11 digits"],
        ),
        (
            '[[people]]\nname = "王"\nrole = "boss"\nscopes = ["e-1"]\nwechat = "o1"\n',
            ["line 3", 'role = "worker"'],
        ),
        ('[[people]]\nname = "王"\nrole = "worker"\nscopes = []\nwechat = "o1"\n', ["scopes", "area codes"]),
        ('[[people]]\nname = "王"\nrole = "worker"\nscopes = ["e-1"]\n', ["give a phone"]),
        ('[[people]]\nname = "王"\nrole = "worker"\nscopes = ["e-1"]\ntelegram = "@wang"\n', ["not @name"]),
    ],
)
def test_each_staff_error_names_line_field_and_fix(tmp_path: Path, text: str, words: list[str]) -> None:
    """Each mistake in a staff file is refused with where, the field and what to write."""
    message = errors_of(staff_file.parse, write(tmp_path, text, "staff.toml"))
    for word in words:
        assert word in message, message


def test_example_files_are_the_ones_the_demo_loads() -> None:
    """examples/beiyuan is what `demo = true` loads (the package keeps an identical copy)."""
    for name in ("territory.toml", "grids.geojson", "catalogue.toml", "faq.toml"):
        assert filecmp.cmp(ROOT / "examples" / "beiyuan" / name, demo.DATA / name, shallow=False), name


def test_check_prints_counts_and_gaps(capsys: pytest.CaptureFixture[str]) -> None:
    """`jiesu territory check` prints counts per level and the grids without boundary or names."""
    assert main(["territory", "check", str(TOWN)]) == 0
    out = capsys.readouterr().out
    assert "subdistrict town (测试街道), drawn in gcj02" in out
    assert "2 departments, 2 communities, 4 grids (3 with a boundary, 3 with names)" in out
    assert "grids without a boundary: west-2" in out
    assert "grids without names: west-1" in out
    assert "'翠苑' is also listed in grid east-2" in out


def test_check_of_a_bad_file_exits_1_and_lists_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad file: exit 1, every problem on stderr, and nothing imported."""
    path = write(tmp_path, BASE.replace('datum = "gcj02"', 'datum = "mercator"'))
    assert main(["territory", "import", "--db", f"sqlite:///{tmp_path}/x.db", str(path)]) == 1
    err = capsys.readouterr().err
    assert "datum" in err and "not imported, nothing was written (1 problems)" in err


def areas(db: Harness | str) -> dict[str, tuple[str, bool]]:
    """Area code -> (name, retired)."""

    def read(s: Session) -> dict[str, tuple[str, bool]]:
        return {a.code: (a.name, a.retired) for a in s.scalars(select(Area))}

    if isinstance(db, Harness):
        return db.query(read)  # type: ignore[no-any-return]
    database = Database(db)
    try:
        return database.run_sync(read)
    finally:
        database.close()


async def test_dry_run_lists_changes_and_writes_nothing(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--dry-run prints every area it would add and leaves the database empty."""
    assert main(["territory", "import", "--dry-run", "--db", db_url, str(TOWN)]) == 0
    out = capsys.readouterr().out
    assert "  add subdistrict town (测试街道)\n" in out
    assert "  add grid west-2 (西二网格)\n" in out
    assert out.endswith("dry run: 9 changes listed, nothing was written\n")
    assert areas(db_url) == {}


async def test_import_twice_changes_nothing_the_second_time(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same territory and catalogue imported twice: the second import has nothing to change."""
    for args in (["territory", "import", str(TOWN)], ["catalogue", "import", str(CATALOGUE)]):
        assert main([*args[:2], "--db", db_url, args[2]]) == 0
        first = capsys.readouterr().out
        assert "imported" in first
        assert main([*args[:2], "--db", db_url, args[2]]) == 0
        again = capsys.readouterr().out.splitlines()
        assert again[-1] == f"nothing to change: the database already matches {args[2]}"
        assert not any(line.startswith("  ") for line in again)  # no change listed
    assert areas(db_url)["west-2"] == ("西二网格", False)


async def test_rename_update_and_retire_without_open_tickets(db_url: str, tmp_path: Path) -> None:
    """A renamed grid, changed names and a dropped grid: renamed, updated and retired in one import."""
    import_town(db_url)
    text = TOWN.read_text(encoding="utf-8").replace('name = "东二网格"', 'name = "东二网格（新）"')
    text = text.replace('names = ["求是路 51-200号", "翠苑"]', 'names = ["求是路 51-300号", "翠苑"]')
    text = text.replace('boundaries = "town-grids.geojson"', f'boundaries = "{DATA / "town-grids.geojson"}"')
    cut = text.index('[[communities.grids]]\ncode = "west-2"')
    path = write(tmp_path, text[:cut])
    reports = import_town(db_url, path, None)
    assert reports[0].lines == [
        "rename grid east-2: 东二网格 -> 东二网格（新）",
        "update grid east-2 (东二网格（新）): names",
        "retire grid west-2 (西二网格)",
    ]
    assert areas(db_url)["west-2"] == ("西二网格", True)
    assert import_town(db_url, path, None)[0].lines == []  # and again: nothing


async def test_retire_with_open_tickets_needs_move_open_to(db_url: str, tmp_path: Path) -> None:
    """A grid with open tickets is not retired without --move-open-to; with it they move, told and audited."""
    h = await town_harness(db_url)
    try:
        await h.run(
            "w9: 你好",
            "admin@west: /bind west-2",
            "admin@east: /bind east-1",
            "admin: /grant w9 worker west-2",
        )
        tid = await h.quick_report(category="road", location=None, area="west-2")
        await h.say("w9@west: [tap 抢单]")
        text = TOWN.read_text(encoding="utf-8").replace(
            'boundaries = "town-grids.geojson"', f'boundaries = "{DATA / "town-grids.geojson"}"'
        )
        path = write(tmp_path, text[: text.index('[[communities.grids]]\ncode = "west-2"')])
        with pytest.raises(DataFileError) as caught:
            import_town(db_url, path, None)
        assert "grid west-2 (西二网格) is no longer in the file but has 1 open tickets (#1)" in str(
            caught.value
        )
        assert "--move-open-to CODE" in str(caught.value)
        assert areas(h)["west-2"] == ("西二网格", False)  # nothing half-imported

        assert main(["territory", "import", "--db", db_url, "--move-open-to", "east-1", str(path)]) == 0
        # The command ran on the wall clock, the harness on a fake one: catch up to deliver its messages.
        h.clock.advance(datetime.now(UTC) - h.clock.now() + timedelta(seconds=1))
        await h.app.sender.flush()
        t = h.ticket(tid)
        assert (areas(h)["west-2"][1], t.status, t.handler_id) == (True, Status.OPEN, None)
        assert h.events(tid)[-1] == "moved"
        assert h.last("@east")["text"].startswith(f"【新工单 #{tid}】城管/道路破损")
        assert h.last("w9")["text"] == f"工单 #{tid} 已转派至 东社区 东一网格，您无需再办理。"
        assert h.last("r1")["text"] == f"您反映的问题（#{tid}）已转交 东社区 东一网格 办理，办理时限不变。"
    finally:
        h.close()


async def test_retire_category_with_open_tickets(db_url: str, tmp_path: Path) -> None:
    """A category dropped from the catalogue keeps its tickets only if told where they go."""
    h = await town_harness(db_url)
    try:
        tid = await h.quick_report(category="road", location=None, area="east-1")
        text = CATALOGUE.read_text(encoding="utf-8").replace(
            '  [[categories.items]]\n  code = "road"\n  name = "道路破损"\n\n', ""
        )
        path = write(tmp_path, text, "catalogue.toml")
        assert main(["catalogue", "import", "--db", db_url, str(path)]) == 1
        assert main(["catalogue", "import", "--db", db_url, "--move-open-to", "city-other", str(path)]) == 0
        assert h.ticket(tid).category_code == "city-other"
        assert h.events(tid)[-1] == "recategorised"

        def retired(s: Session) -> bool:
            cat = s.scalar(select(Category).where(Category.code == "road"))
            return cat is not None and cat.retired

        assert h.query(retired)
    finally:
        h.close()


async def test_other_subdistrict_is_refused(db_url: str, tmp_path: Path) -> None:
    """A territory file for another subdistrict is refused with the code to write."""
    import_town(db_url)
    path = write(tmp_path, BASE)
    with pytest.raises(DataFileError) as caught:
        import_town(db_url, path, None)
    assert "the database holds subdistrict 'town' (测试街道)" in str(caught.value)
    assert 'write code = "town"' in str(caught.value)


async def test_staff_file_binds_ids_now_and_phones_when_shared(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ids known now get their roles at import; a phone-only worker is bound when they share that phone."""
    import_town(db_url)
    assert main(["staff", "import", "--db", db_url, str(STAFF)]) == 0
    out = capsys.readouterr().out
    assert "grant worker east-1 to 王网格 (console w1)" in out
    assert "grant admin east to 李站长 (telegram 700001)" in out
    assert "invite 赵网格 (139****9000) as worker of west-1" in out
    assert main(["staff", "import", "--db", db_url, str(STAFF)]) == 0
    assert "nothing to change" in capsys.readouterr().out

    from .tgfake import Tg

    tg = await Tg.create(db_url)
    try:
        zhao = tg.u.user(880001, "小赵")
        await tg.send(tg.u.contact(zhao, "8613900139000"))
        assert "您好，赵网格！您已按街道人员名单登记为网格员，范围：西社区 西一网格。" in tg.api.texts(
            zhao["id"]
        )

        def grants(s: Session) -> list[tuple[str, str]]:
            rows = s.execute(
                select(Area.code, RoleGrant.role)
                .join(RoleGrant, RoleGrant.area_id == Area.id)
                .join(Person, Person.id == RoleGrant.person_id)
                .where(Person.external_id == "880001")
                .order_by(Area.code)
            ).all()
            return [(r[0], r[1]) for r in rows]

        assert tg.query(grants) == [("west-1", "worker"), ("west-2", "worker")]
        assert (
            tg.query(lambda s: len(list(s.scalars(select(StaffInvite))))) == 2
        )  # kept: re-import is a no-op
    finally:
        await tg.close()


def test_a_baidu_map_territory_is_converted_to_gcj02(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file drawn on Baidu maps (BD-09) is accepted, and every centre and corner is read as GCJ-02."""
    path = write(tmp_path, BASE.replace('datum = "gcj02"', 'datum = "bd09"'))
    t = territory_file.parse(path).territory
    assert (t.datum, t.drawn_in) == ("gcj02", "bd09")
    grid = t.communities[0].grids[0]
    centre = prcoords.bd_gcj(prcoords.Coords(30.255, 120.155))
    assert grid.centre == pytest.approx((centre.lat, centre.lon))
    assert grid.boundary is not None
    corner = prcoords.bd_gcj(prcoords.Coords(30.250, 120.150))
    assert grid.boundary["coordinates"][0][0] == pytest.approx([corner.lon, corner.lat])
    assert abs(corner.lon - 120.150) > 0.005  # BD-09 and GCJ-02 differ by some 600 m here
    assert main(["territory", "check", str(path)]) == 0
    assert "drawn in bd09, converted to gcj02" in capsys.readouterr().out


async def test_a_baidu_map_territory_is_stored_as_gcj02(db_url: str, tmp_path: Path) -> None:
    """An imported BD-09 file is stored in GCJ-02, the datum WeChat locations arrive in."""
    path = write(tmp_path, BASE.replace('datum = "gcj02"', 'datum = "bd09"'))
    assert main(["territory", "import", "--db", db_url, str(path)]) == 0
    database = Database(db_url)
    try:
        datum = database.run_sync(lambda s: s.scalar(select(Area.datum).where(Area.code == "t")))
    finally:
        database.close()
    assert datum == "gcj02"


def test_catalogue_check_touches_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`catalogue check` without --territory and without a database creates none (./jiesu.db stays absent)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JIESU_DATABASE_URL", raising=False)
    assert main(["catalogue", "check", str(CATALOGUE)]) == 0
    assert "department codes are not checked" in capsys.readouterr().out
    assert main(["staff", "check", str(STAFF)]) == 0
    assert "scopes are checked when the file is imported" in capsys.readouterr().out
    assert os.listdir(tmp_path) == []


async def test_checks_read_an_imported_territory(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a territory imported, `catalogue check` and `staff check` catch codes it does not have."""
    import_town(db_url, catalogue=None)
    bad_catalogue = write(
        tmp_path,
        CATALOGUE.read_text(encoding="utf-8").replace('department = "dept-b"', 'department = "dept-x"'),
        "catalogue.toml",
    )
    assert main(["catalogue", "check", "--db", db_url, str(bad_catalogue)]) == 1
    assert "'dept-x' is no department of the territory" in capsys.readouterr().err
    bad_staff = write(
        tmp_path, STAFF.read_text(encoding="utf-8").replace('"west-2"]', '"west-9"]'), "staff.toml"
    )
    assert main(["staff", "check", "--db", db_url, str(bad_staff)]) == 1
    err = capsys.readouterr().err
    assert "staff.toml:line 17: error: scopes: 'west-9' is no grid, community or department" in err
    assert main(["staff", "check", "--db", db_url, str(STAFF)]) == 0


def test_staff_check_against_a_territory_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`staff check --territory FILE` catches an unknown scope before anything is imported."""
    bad_staff = write(
        tmp_path, STAFF.read_text(encoding="utf-8").replace('"west-2"]', '"west-9"]'), "staff.toml"
    )
    assert main(["staff", "check", "--territory", str(TOWN), str(bad_staff)]) == 1
    assert "'west-9' is no grid, community or department of the territory" in capsys.readouterr().err


EXAMPLE_STAFF = ROOT / "examples" / "beiyuan" / "staff.toml"


async def test_the_example_staff_file_checks_and_imports_on_the_demo(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """examples/beiyuan/staff.toml names only the example territory's scopes and imports onto the demo."""
    territory = str(ROOT / "examples" / "beiyuan" / "territory.toml")
    assert main(["staff", "check", "--territory", territory, str(EXAMPLE_STAFF)]) == 0
    assert capsys.readouterr().out == f"{EXAMPLE_STAFF}: 14 people\n"
    h = await Harness.create(db_url)
    h.close()
    assert main(["staff", "import", "--db", db_url, str(EXAMPLE_STAFF)]) == 0
    out = capsys.readouterr().out
    assert "grant admin beiyuan to 林主任 (telegram 100000001)" in out
    assert "grant worker wangdao-1 to 周网格 (wechat oDEMO000000000000000wangdao1)" in out
    assert "invite 赵网格 (139****0012) as worker of siji-1" in out
    assert "invite 季小强 (139****0014) as mediator of siji" in out  # 滴滴调解: the community's mediator
    assert out.endswith("imported " + str(EXAMPLE_STAFF) + ": 16 changes\n")
