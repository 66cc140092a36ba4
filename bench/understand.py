"""Classifier throughput: how many messages per second handlers/understand.py reads (one core).

Every message of the gold set (tests/data/intents.tsv) is read as an intent with its top-3
categories (free text) or as an answer (pending questions), ROUNDS times over. The one-off
jieba start-up (dictionary from the wheel) is timed apart.

    .venv/bin/python bench/understand.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from handlers.normalise import bare, fold  # noqa: E402
from handlers.understand import reader  # noqa: E402

GOLD = ROOT / "tests" / "data" / "intents.tsv"


def main() -> None:
    """Time the start-up, then the reading of the gold set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rows = [line.split("\t") for line in GOLD.read_text("utf-8").splitlines() if line[:1] != "#"]
    started = time.perf_counter()
    r = reader()
    print(f"start-up (jieba dictionary, data file): {time.perf_counter() - started:.2f} s")
    count = 0
    started = time.perf_counter()
    for _ in range(args.rounds):
        fold.cache_clear()  # every round reads the text afresh, as new messages would be
        bare.cache_clear()
        for context, text, _expected, _category in rows:
            if context == "free":
                r.intent(text)
            else:
                r.answer(text, context)  # type: ignore[arg-type]
            count += 1
    elapsed = time.perf_counter() - started
    rate, each = count / elapsed, elapsed / count * 1e6
    print(f"{count} messages in {elapsed:.2f} s: {rate:,.0f} messages/s ({each:.0f} µs each)")


if __name__ == "__main__":
    main()
