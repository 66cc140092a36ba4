"""`jiesu understand`: build the reader's corpus, train its model, score it on a labelled file.

jiesu understand corpus            regenerate handlers/data/reader/corpus.tsv
jiesu understand train             retrain handlers/data/reader/model.npz from the corpus
jiesu understand eval FILE         accuracy per intent and a confusion table for FILE
jiesu understand cv [--folds 5]    cross-validation on the corpus
jiesu understand read TEXT...      show how each text is read
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from handlers import reader
from handlers.reader import generate, labelled

DATA = reader.model_path().parent


def register(sub: Any) -> None:
    """Add `jiesu understand …` to the sub-commands of bot/cli.py."""
    understand = sub.add_parser("understand", help="the trained reader: corpus, training, evaluation")
    commands = understand.add_subparsers(dest="understand_command", required=True)
    corpus = commands.add_parser("corpus", help="regenerate the training corpus from its templates")
    corpus.add_argument("--out", type=Path, default=DATA / "corpus.tsv")
    corpus.set_defaults(func=cmd_corpus)
    train = commands.add_parser("train", help="retrain the model from the corpus (deterministic)")
    train.add_argument("--corpus", type=Path, default=DATA / "corpus.tsv")
    train.add_argument("--out", type=Path, default=reader.model_path())
    train.set_defaults(func=cmd_train)
    ev = commands.add_parser("eval", help="score a labelled file: accuracy per intent, confusion table")
    ev.add_argument(
        "file", type=Path, help="TSV (intent, category, text), sectioned text, or the old gold set"
    )
    ev.add_argument("--corpus", type=Path, default=DATA / "corpus.tsv", help="for the near-copy check")
    ev.add_argument("--misses", action="store_true", help="list every message read wrong")
    ev.set_defaults(func=cmd_eval)
    cv = commands.add_parser("cv", help="k-fold cross-validation on the corpus")
    cv.add_argument("--corpus", type=Path, default=DATA / "corpus.tsv")
    cv.add_argument("--folds", type=int, default=5)
    cv.set_defaults(func=cmd_cv)
    rd = commands.add_parser("read", help="show how texts are read")
    rd.add_argument("texts", nargs="+")
    rd.add_argument("--expect", choices=[e.value for e in reader.Expect if e.value], default="")
    rd.set_defaults(func=cmd_read)


def _load(path: Path) -> list[labelled.Labelled] | None:
    if not path.is_file():
        print(f"error: file not found: {path}", file=sys.stderr)
        return None
    try:
        return labelled.load(path)
    except (labelled.LabelError, UnicodeDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def cmd_corpus(args: argparse.Namespace) -> int:
    """jiesu understand corpus."""
    rows = generate.build(DATA)
    count = labelled.write_tsv(rows, args.out, generate.HEADER)
    print(f"{count} messages written to {args.out}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """jiesu understand train."""
    from handlers.reader import evaluate  # scikit-learn is imported for the commands that use it only

    rows = _load(args.corpus)
    if rows is None:
        return 2
    started = time.perf_counter()
    model = evaluate.train(rows)
    model.save(args.out)
    reader.forget()
    took = time.perf_counter() - started
    print(
        f"trained on {len(rows)} messages in {took:.1f} s: {len(model.intents)} intents, "
        f"{len(model.categories)} categories, {len(model.vectorizer.vocabulary_)} features -> {args.out}"
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """jiesu understand eval FILE."""
    from handlers.reader import evaluate  # scikit-learn is imported for the commands that use it only

    rows = _load(args.file)
    if rows is None:
        return 2
    if not rows:
        print(f"error: no labelled messages in {args.file}", file=sys.stderr)
        return 2
    corpus = _load(args.corpus) if args.corpus.is_file() else []
    kept, copies = evaluate.without_near_copies(rows, corpus or []) if corpus else (rows, [])
    if copies:
        print(
            f"{len(copies)} of {len(rows)} messages are near-copies of training messages "
            f"(ratio >= {evaluate.NEAR_COPY}) and are scored apart:\n"
        )
    print(
        evaluate.report(
            "scored" + (" (without near-copies)" if copies else ""), evaluate.score(kept), args.misses
        )
    )
    if copies:
        print(evaluate.report("all messages", evaluate.score(rows)))
        print("closest pairs (held-out | training):")
        for c in copies[:10]:
            print(f"  {c.similarity:.0f}  {c.text} | {c.corpus_text}")
    return 0


def cmd_cv(args: argparse.Namespace) -> int:
    """jiesu understand cv."""
    from handlers.reader import evaluate  # scikit-learn is imported for the commands that use it only

    rows = _load(args.corpus)
    if rows is None:
        return 2
    if args.folds < 2:
        print("error: --folds must be at least 2", file=sys.stderr)
        return 2
    started = time.perf_counter()
    scores = evaluate.cross_validate(rows, args.folds)
    took = time.perf_counter() - started
    print(f"{args.folds}-fold cross-validation on {len(rows)} messages ({took:.0f} s)\n")
    print(evaluate.report("cross-validation", scores))
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    """jiesu understand read TEXT..."""
    expect = reader.Expect(args.expect)
    for text in args.texts:
        r = reader.read(text, expect)
        alternatives = ", ".join(f"{i.value} {p:.2f}" for i, p in r.alternatives)
        cats = ", ".join(f"{c} {p:.2f}" for c, p in r.categories)
        print(
            f"{text}\n  {r.intent.value} {r.confidence:.2f} ({'sure' if r.sure else 'unsure'}, by {r.by})"
            f"{'; ' + alternatives if alternatives else ''}"
            f"{'; categories: ' + cats if cats else ''}"
            f"{f'; ticket {r.ticket}' if r.ticket else ''}"
            f"{f'; answer {r.answer}' if r.answer else ''}"
            f"{f'; reason {r.reason!r}' if r.reason else ''}"
        )
    return 0
