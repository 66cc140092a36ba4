"""One vocabulary per thing: event words per EventKind, refusals by Refusal, no unused catalogue entry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from handlers import texts, vocabulary
from handlers.refusals import refusal_text
from models.errors import BadInput, DomainError, Refusal
from models.events import EventKind

ROOT = Path(__file__).resolve().parent.parent
ERRORS = {"DomainError", "BadInput", "NotAllowed", "NotFound", "InvalidTransition", "AlreadyClaimed"}
PACKAGES = ("bot", "handlers", "models", "scheduler")
DERIVED = {"EVENT"}  # read through EVENT_NAME and EVENT_TOLD


def test_every_event_kind_has_one_entry() -> None:
    """Each EventKind has its office name and its resident words, so no raw kind (released) is shown."""
    assert set(texts.EVENT) == {k.value for k in EventKind}
    assert set(texts.EVENT_TOLD) == set(texts.EVENT_NAME) == set(texts.EVENT)
    assert all(re.search(r"[\u4e00-\u9fff]", words) for words in texts.EVENT_TOLD.values())
    assert texts.EVENT_TOLD[EventKind.RELEASED] != EventKind.RELEASED.value


def test_nothing_refuses_with_ready_made_words() -> None:
    """No module (handlers, the bot and its office, models) raises a DomainError carrying words."""
    worded = []
    for path in sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            call = node.exc
            if not (isinstance(call.func, ast.Name) and call.func.id in ERRORS):
                continue
            first = call.args[0] if call.args else None
            named = isinstance(first, ast.Attribute) and ast.unparse(first.value) == "Refusal"
            if not (named or isinstance(first, ast.Name)):  # a Name: a Refusal passed on (mypy checks it)
                worded.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert worded == []
    assert all(hasattr(texts, r.value) for r in Refusal)


def test_a_refusal_in_words_is_refused() -> None:
    """A DomainError given Chinese instead of a Refusal fails at once, never reaching a person."""
    with pytest.raises(TypeError):
        DomainError("不支持的操作。")  # type: ignore[arg-type]
    assert (
        refusal_text(BadInput(Refusal.WEB_NUMBER_REQUIRED, what="目标工单编号"))
        == "请填写有效的目标工单编号。"
    )


def test_no_catalogue_entry_is_unused() -> None:
    """Every catalogue entry is read somewhere (code, templates, a Refusal's name): none is left over."""
    sources = [
        p
        for package in ("bot", "handlers", "models", "scheduler")
        for p in (ROOT / package).rglob("*")
        if p.suffix in (".py", ".html") and p.name != "texts.py"
    ]
    blob = "\n".join(p.read_text(encoding="utf-8", errors="ignore") for p in sources)
    names = [n for n in vars(texts) if n.isupper() and n not in DERIVED]
    assert [n for n in names if not re.search(rf"\b{n}\b", blob)] == []


def test_input_words_come_from_the_data_file() -> None:
    """The skip words and the tier words are read from handlers/data/words.toml."""
    assert {"不留了", "算了", "跳过"} <= vocabulary.SKIP
    assert vocabulary.TIER["复杂"] == "difficult" and vocabulary.TIER["5"] == "pending"
