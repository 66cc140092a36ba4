"""The trained reader: its corpus, its model file, its rules, its scores on messages it never saw."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from handlers import reader
from handlers.reader import Expect, Intent, evaluate, generate, labelled, read, rules
from handlers.reader.classifier import Model

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "handlers" / "data" / "reader"
HELDOUT = Path(__file__).parent / "data" / "reader_heldout.txt"
FINAL = Path(__file__).parent / "data" / "reader_final.txt"
DEV = Path(__file__).parent / "data" / "reader_dev.txt"
GOLD = Path(__file__).parent / "data" / "intents.tsv"
CATALOGUES = [
    ROOT / "models" / "demo_data" / "catalogue.toml",
    ROOT / "examples" / "beiyuan" / "catalogue.toml",
]
# The held-out floor: every intent, scored without near-copies of training messages.
HELDOUT_FLOOR = 0.85
HELDOUT_OVERALL = 0.90
HELDOUT_CATEGORY_TOP3 = 0.85


def _leaves(path: Path) -> set[str]:
    def walk(node: dict[str, object]) -> set[str]:
        kids = [*node.get("items", []), *node.get("subitems", [])]  # type: ignore[misc]
        return {str(node["code"])} if not kids else set().union(*(walk(k) for k in kids))

    return set().union(*(walk(c) for c in tomllib.loads(path.read_text("utf-8"))["categories"]))


@pytest.fixture(scope="module")
def corpus() -> list[labelled.Labelled]:
    return labelled.load(DATA / "corpus.tsv")


@pytest.fixture(scope="module")
def heldout(corpus: list[labelled.Labelled]) -> list[labelled.Labelled]:
    """Both held-out sets, without the messages that are near-copies of a training message."""
    kept, _ = evaluate.without_near_copies(labelled.load(HELDOUT) + labelled.load(FINAL), corpus)
    return kept


def test_the_committed_corpus_is_what_the_generator_makes() -> None:
    """`jiesu understand corpus` regenerates corpus.tsv byte for byte from its committed inputs."""
    rows = generate.build(DATA)
    committed = labelled.load(DATA / "corpus.tsv")
    assert rows == committed


def test_the_corpus_has_thousands_of_messages_of_every_intent_and_every_category(
    corpus: list[labelled.Labelled],
) -> None:
    """At least 3,000 messages per intent, and reports for every item of both catalogue files."""
    intents = Counter(r.intent for r in corpus)
    assert set(intents) == set(labelled.INTENTS)
    assert min(intents.values()) >= 3000, intents
    categories = Counter(r.category for r in corpus if r.intent == "problem")
    for path in CATALOGUES:
        for leaf in _leaves(path):
            assert categories[leaf] >= 300, (path.name, leaf, categories[leaf])
    assert all(r.category == "" for r in corpus if r.intent != "problem")


def test_the_corpus_carries_the_noise_people_type(corpus: list[labelled.Labelled]) -> None:
    """Full-width characters, emoji, English, Chinese-numeral tickets and run-ons are all in the corpus."""
    texts = [r.text for r in corpus]
    assert sum(any("！" <= ch <= "～" for ch in t) for t in texts) > 1000
    assert sum(any(ord(ch) > 0x1F000 for ch in t) for t in texts) > 1000
    assert sum(t.isascii() and " " in t for t in texts) > 1000
    assert any(r.intent == "grab" and "十" in r.text for r in corpus)
    assert sum(len(t) > 15 and not any(ch in t for ch in " ，。,!！?？") for t in texts) > 1000


def test_the_model_file_loads_with_every_intent_and_catalogue_item() -> None:
    """The committed model knows all fifteen intents and every item of both catalogue files."""
    model = Model.load(reader.model_path())
    assert set(model.intents) == set(labelled.INTENTS)
    for path in CATALOGUES:
        assert _leaves(path) <= set(model.categories)


def test_a_reading_is_the_same_every_time() -> None:
    """The same message is read the same way on every call, after the model is loaded again too."""
    texts = ["楼下垃圾三天没人收了", "3号单我接了", "还是老样子", "有没有送餐服务"]
    first = [read(t) for t in texts]
    reader.forget()
    assert [read(t) for t in texts] == first


def test_retraining_reproduces_the_committed_model(corpus: list[labelled.Labelled]) -> None:
    """`jiesu understand train` on the committed corpus gives the committed model's predictions."""
    committed = Model.load(reader.model_path())
    retrained = evaluate.train(corpus)
    probe = [r.text for path in (HELDOUT, FINAL, DEV) for r in labelled.load(path)]
    assert evaluate.predictions(retrained, probe) == evaluate.predictions(committed, probe)
    a = committed.intent_probabilities(committed.features(probe))
    b = retrained.intent_probabilities(retrained.features(probe))
    assert np.allclose(a, b, atol=1e-3)
    assert retrained.meta == committed.meta


def test_held_out_messages_of_every_kind_are_read_right(heldout: list[labelled.Labelled]) -> None:
    """Messages written apart from the corpus: every intent above the floor, categories in the top 3."""
    scores = evaluate.score(heldout)
    low = {i: round(scores.accuracy(i), 3) for i in labelled.INTENTS if scores.accuracy(i) < HELDOUT_FLOOR}
    assert not low, (low, scores.misses)
    assert scores.accuracy() >= HELDOUT_OVERALL
    assert scores.category_top3 / scores.categories >= HELDOUT_CATEGORY_TOP3


def test_the_held_out_set_is_large_enough_and_apart_from_the_corpus(
    corpus: list[labelled.Labelled], heldout: list[labelled.Labelled]
) -> None:
    """The final set keeps 40 messages of every intent once near-copies of the corpus are removed."""
    final, _ = evaluate.without_near_copies(labelled.load(FINAL), corpus)
    counts = Counter(r.intent for r in final)
    assert min(counts[i] for i in labelled.INTENTS) >= 40, counts
    both = Counter(r.intent for r in heldout)
    assert min(both[i] for i in labelled.INTENTS) >= 70, both
    assert all(c.similarity < evaluate.NEAR_COPY for c in evaluate.near_copies(heldout, corpus))


def test_the_old_gold_set_still_reads_well() -> None:
    """The gold set of the phrase reader: its answers to pending questions are read right."""
    scores = evaluate.score(labelled.load(GOLD))
    assert scores.answers_right / scores.answers >= 0.95, scores.misses
    assert scores.accuracy() >= 0.90, scores.misses


@pytest.mark.parametrize(
    ("text", "intent", "ticket"),
    [
        ("3号单我接了", Intent.GRAB, 3),
        ("十五号单我负责", Intent.GRAB, 15),
        ("＃12 我来", Intent.GRAB, 12),
        ("7号搞定了 垃圾清走了", Intent.RESOLVE, 7),
        ("二十号在路上了", Intent.PROGRESS, 20),
        ("不用管了，我自己弄好了", Intent.WITHDRAW, None),
        ("帮我撤了吧", Intent.WITHDRAW, None),
        ("那个事有下文没", Intent.STATUS, None),
        ("how is my complaint going", Intent.STATUS, None),
        ("有没有送餐服务", Intent.CONSULT, None),
        ("the garbage near my shop not collected 3 days", Intent.PROBLEM, None),
        ("3号楼电梯老是卡住", Intent.PROBLEM, None),
        ("谢谢师傅", Intent.THANKS, None),
        ("在吗", Intent.GREETING, None),
    ],
)
def test_what_people_write_in_their_own_words(text: str, intent: Intent, ticket: int | None) -> None:
    """The phrasings the phrase reader missed are read as what they mean, with the ticket they name."""
    r = read(text)
    assert (r.intent, r.ticket) == (intent, ticket), r


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("做了但没做好", "no"),
        ("还是老样子", "no"),
        ("又坏了", "no"),
        ("嗯嗯 解决了 谢谢师傅", "yes"),
        ("yes fixed", "yes"),
        ("满意 师傅很负责", "yes"),
        ("电梯又坏了 另外一部", None),
        ("你好", None),
    ],
)
def test_answers_to_resolved_with_a_tail(text: str, answer: str | None) -> None:
    """After 解决了吗, answers with a tail or a complaint are read; a new problem answers nothing."""
    assert read(text, Expect.RESOLVED).answer == answer


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("满意 当天就来修了", "satisfied"),
        ("not satisfied", "unsatisfied"),
        ("修是修了 但是拖了一个礼拜", "unsatisfied"),
        ("👍", "satisfied"),
        ("楼上又在装修了", None),
    ],
)
def test_answers_to_satisfied_with_a_reason(text: str, answer: str | None) -> None:
    """After 满意吗, praise and complaints with a reason are read; other news answers nothing."""
    assert read(text, Expect.SATISFIED).answer == answer


def test_a_no_with_a_reason_carries_the_reason() -> None:
    """ "没有，灯还是不亮" answers no, and the reason is the words after the no."""
    r = read("没有，灯还是不亮", Expect.RESOLVED)
    assert (r.answer, r.reason) == ("no", "灯还是不亮")
    assert read("不是", Expect.RESOLVED).reason == ""


def test_a_worker_s_done_is_never_a_resident_report() -> None:
    """Read as a worker's message, "N号搞定了 …" resolves N and is not a problem."""
    r = read("5号搞定了 路灯换好了", Expect.WORKER)
    assert (r.intent, r.ticket) == (Intent.RESOLVE, 5)
    assert read("楼下垃圾没人收", Expect.WORKER).intent is Intent.OTHER


def test_one_word_answers_and_commands_are_rules() -> None:
    """A lone 是 / 不满意 and a /command are decided by rule, with full confidence."""
    yes = read("是", Expect.RESOLVED)
    assert (yes.answer, yes.by, yes.confidence) == ("yes", "rule", 1.0)
    assert read("不满意", Expect.SATISFIED).answer == "unsatisfied"
    c = read("/grab@JiesuBot 12")
    assert (c.intent, c.command, c.ticket, c.by) == (Intent.COMMAND, "grab", 12, "rule")


@pytest.mark.parametrize(
    ("text", "ticket"),
    [
        ("#9 我接", 9),
        ("NO.28 我来", 28),
        ("第二十号单我来", 20),
        ("我接 编号二十五", 25),
        ("我家住3号楼", None),
        ("四季新村5幢3单元", None),
        ("１２号搞定", 12),
        ("坐2号线过来", None),
    ],
)
def test_ticket_numbers_are_read_by_rule(text: str, ticket: int | None) -> None:
    """Ticket references in digits, full-width or Chinese numerals; 3号楼 and 2号线 are places."""
    assert rules.ticket(text) == ticket


def test_unsure_readings_say_so() -> None:
    """A message the model cannot place is marked unsure, so the flows ask instead of acting."""
    r = read("嗯那个就是说吧")
    assert not r.sure or r.intent is Intent.OTHER


def test_categories_can_be_limited_to_the_office_catalogue() -> None:
    """Only the codes the office's catalogue has are offered, best first, with probabilities."""
    r = read("电梯坏了老人上不了楼", codes={"elevator", "other"})
    assert r.categories[0][0] == "elevator"
    assert {c for c, _ in r.categories} <= {"elevator", "other"}
    assert all(0 < p <= 1 for _, p in r.categories)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        None,
        "x" * 10_000,
        "垃圾" * 5000,
        "\ud800\udfff 坏了",
        "\x00\x01\x02",
        "\u202e反向文字\u202c",
        "👍🏻👍🏿",
        "\u200b\u200d",
        "e\u0301\u0301\u0301",
        "\ue000\U000f0000",
        "🀄️" * 300,
        "\t\n\r",
    ],
)
def test_bad_input_gives_a_reading_not_an_exception(text: str | None) -> None:
    """Empty, huge, control, surrogate, bidi, zero-width, combining and private-use text is read calmly."""
    r = read(text)
    assert isinstance(r.intent, Intent) and 0.0 <= r.confidence <= 1.0
    assert len(r.text) <= reader.MAX_TEXT
    assert isinstance(read(text, Expect.RESOLVED).answer, (str, type(None)))


def test_eval_command_scores_a_small_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`jiesu understand eval FILE` prints the accuracy per intent and the confusion table."""
    path = tmp_path / "small.tsv"
    path.write_text("status\t\t我的事有人管了没\nproblem\televator\t电梯坏了\nthanks\t\t太谢谢了\n", "utf-8")
    assert main(["understand", "eval", str(path), "--corpus", str(tmp_path / "none.tsv")]) == 0
    out = capsys.readouterr().out
    assert "| status | 1 |" in out and "| **all** | 3 |" in out and "expected \\ read" in out


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("nosuch\t\ttext\n", "unknown intent 'nosuch'"),
        ("only one column\n", "expected intent<TAB>category<TAB>text"),
        ("", "no labelled messages"),
    ],
)
def test_eval_command_refuses_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, error: str
) -> None:
    """A labelled file with an unknown intent, a wrong line or nothing in it gets a clear error and exit 2."""
    path = tmp_path / "bad.tsv"
    path.write_text(content, "utf-8")
    assert main(["understand", "eval", str(path)]) == 2
    assert error in capsys.readouterr().err


def test_eval_command_names_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A labelled file that does not exist is named in the error."""
    assert main(["understand", "eval", str(tmp_path / "gone.tsv")]) == 2
    assert "file not found" in capsys.readouterr().err
