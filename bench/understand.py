"""Classifier throughput: how many messages per second the readers read (one core).

The phrase reader (handlers/understand.py): every message of the gold set (tests/data/intents.tsv)
is read as an intent with its top-3 categories (free text) or as an answer (pending questions),
ROUNDS times over. The one-off jieba start-up (dictionary from the wheel) is timed apart.

The trained reader (handlers/reader/): the gold set and both held-out sets are read with read(),
as the flows will call it; CPU time per message (time.process_time), the import of scikit-learn,
the load of the model file and the memory (RSS) each adds are printed.

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

from handlers import reader as trained  # noqa: E402
from handlers.normalise import bare, fold  # noqa: E402
from handlers.reader import labelled  # noqa: E402
from handlers.understand import reader  # noqa: E402

GOLD = ROOT / "tests" / "data" / "intents.tsv"
HELDOUT = [ROOT / "tests" / "data" / "reader_heldout.txt", ROOT / "tests" / "data" / "reader_final.txt"]


def rss_mb() -> float:
    """The resident set size of this process now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def trained_reader(rounds: int) -> None:
    """Time the import, the model load and one read() per message; print the memory each step adds."""
    before = rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    from handlers.reader import classifier  # noqa: F401 - imports scikit-learn

    imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
    after_import = rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    trained.warm()
    loaded, loaded_cpu = time.perf_counter() - started, time.process_time() - cpu
    after_load = rss_mb()
    print(
        f"trained reader: import scikit-learn {imported_cpu:.2f} s CPU ({imported:.2f} s wall, "
        f"+{after_import - before:.0f} MB RSS), load model {loaded_cpu:.2f} s CPU ({loaded:.2f} s wall, "
        f"+{after_load - after_import:.0f} MB RSS)"
    )
    texts = [line.split("\t")[1] for line in GOLD.read_text("utf-8").splitlines() if line[:1] != "#"]
    for path in HELDOUT:
        texts += [row.text for row in labelled.load(path)]
    trained.read(texts[0])
    count = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            trained.read(text)
            count += 1
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"trained reader: {count} messages, {cpu / count * 1e3:.2f} ms CPU each "
        f"({wall / count * 1e3:.2f} ms wall, {count / wall:,.0f} messages/s); RSS now {rss_mb():.0f} MB"
    )


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
    trained_reader(max(1, args.rounds // 4))


if __name__ == "__main__":
    main()
