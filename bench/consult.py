"""Consultations: CPU per question for the reader's reading plus the FAQ match (one core).

Every question of the example FAQ file (examples/beiyuan/faq.toml), asked ROUNDS times, is read
with the trained reader and matched against the file, as handlers/consult.py does for a private
message. The one-off build of the FAQ's feature rows is timed apart.

    .venv/bin/python bench/consult.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from handlers import consult, reader  # noqa: E402
from models.faq import read_file  # noqa: E402

FAQ = ROOT / "examples" / "beiyuan" / "faq.toml"


def main() -> None:
    """Print the one-off index build and the CPU per question."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    entries = read_file(FAQ.read_text(encoding="utf-8"))
    reader.warm()
    start = time.process_time()
    consult.best(entries, "有没有送餐服务")
    built = time.process_time() - start
    questions = [q for e in entries for q in e.questions]
    answered = 0
    start = time.process_time()
    for _ in range(rounds):
        for q in questions:
            reader.read(q)
            answered += consult.best(entries, q) is not None
    spent = time.process_time() - start
    n = rounds * len(questions)
    print(f"FAQ entries {len(entries)}, questions {len(questions)}, rounds {rounds}")
    print(f"index build (once per FAQ import): {built * 1000:.1f} ms CPU")
    print(
        f"read + match per question: {spent / n * 1000:.2f} ms CPU"
        f" ({answered / n:.0%} of the file's own questions answered)"
    )


if __name__ == "__main__":
    main()
