"""Each command is declared once, completely, and everything about commands is generated from it."""

from __future__ import annotations

import importlib
import pkgutil

import handlers
from handlers import commands, router, texts
from handlers.normalise import PLAIN
from handlers.payloads import KINDS, MenuAction
from handlers.spec import Spec, Who


def _declared() -> list[tuple[str, Spec]]:
    """Every Spec a module of handlers declares at its top level, with where it lives."""
    found = []
    for info in pkgutil.walk_packages(handlers.__path__, "handlers."):
        module = importlib.import_module(info.name)
        found += [(f"{info.name}.{k}", v) for k, v in vars(module).items() if isinstance(v, Spec)]
    return found


def test_every_declared_command_is_gathered() -> None:
    """A Spec left out of commands.SPECS would be a command nobody can run: none is."""
    gathered = {id(s) for s in commands.SPECS}
    assert [where for where, s in _declared() if id(s) not in gathered] == []


def test_every_command_has_every_part() -> None:
    """Name, documented handler, who uses it, a usage line; ticket commands say 编号 in it."""
    for spec in commands.SPECS:
        assert spec.name.isascii() and spec.name == spec.name.lower() and spec.name, spec
        assert callable(spec.handler) and spec.handler.__doc__, spec.name
        assert spec.who in Who, spec.name
        assert spec.usage.strip(), f"{spec.name} has no usage line"
        assert spec.name in spec.usage or any(a in spec.usage for a in spec.aliases), spec.name
        if spec.shape.tickets:
            assert "编号" in spec.usage, spec.name
        assert spec.shape.tickets <= max(spec.shape.words, 0), spec.name
        assert all(a.strip() and not a.isascii() for a in spec.aliases), spec.name
        assert spec.help.strip(), f"{spec.name} has no line in /help"


def test_tables_come_from_the_declarations() -> None:
    """COMMANDS, ALIASES, argument shapes, menus and the personal set hold exactly what the Specs say."""
    specs = {s.name: s for s in commands.SPECS}
    assert len(specs) == len(commands.SPECS)
    assert {n: s.handler for n, s in specs.items()} == commands.COMMANDS
    assert {a: s.name for s in commands.SPECS for a in s.aliases} == commands.ALIASES
    assert {n: s.shape for n, s in specs.items() if s.shape != PLAIN} == commands.SHAPES
    assert {n for n, s in specs.items() if s.personal} == commands.PERSONAL
    menus = commands.RESIDENT_MENU + commands.WORKER_MENU + commands.ADMIN_MENU
    assert {n for n, _ in menus} <= specs.keys()
    assert all(text for _, text in menus)
    assert [n for n, _ in commands.RESIDENT_MENU] == [
        n for n, s in specs.items() if s.who == Who.RESIDENT and s.menu
    ]


def test_every_button_kind_has_its_handler() -> None:
    """The one table from payload type to handler covers every kind of button."""
    assert set(router.BUTTONS) == set(KINDS)
    assert {
        action.value for action in MenuAction
    } <= commands.COMMANDS.keys()  # a menu entry runs its command


def test_help_is_built_from_the_declarations() -> None:
    """/help holds, per role, one line per command of that role in the words of its Spec, and nothing else."""
    for who in Who:
        lines = commands.help_text([who]).split("\n")
        expected = [
            texts.HELP_LINE.format(usage=s.usage, help=s.help) for s in commands.SPECS if s.who == who
        ]
        foot = [texts.HELP_FOOT[who]] if who in texts.HELP_FOOT else []
        assert lines == [texts.HELP_HEAD[who], *expected, *foot]


def test_menu_and_usage_lines_come_from_the_catalogue() -> None:
    """What a person reads about a command (menu, usage, help line) is a catalogue entry, not a literal."""
    catalogue = {v for k, v in vars(texts).items() if k.isupper() and isinstance(v, str)}
    for spec in commands.SPECS:
        assert spec.usage in catalogue and spec.help in catalogue, spec.name
        assert all(line in catalogue for line in (spec.menu, spec.staff_menu) if line is not None), spec.name
