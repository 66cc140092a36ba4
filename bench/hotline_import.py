"""Importing the city's 派单 list: 10,000 rows of .xlsx, then the same file again (all known).

    python bench/hotline_import.py [--rows 10000] [--backends sqlite,postgresql]

Each import runs `jiesu hotline import FILE` in a fresh child process on a database with the demo
territory and a bound group per grid (so each order posts its card); the child reports its peak
resident memory and CPU time (on a shared machine the wall time includes waiting for a core).
Prints rows per second and peak memory for the first import and the repeat.
Target: 10,000 rows in under 30 s and under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from bench.common import BACKENDS, bind_group, fresh_database, start_app, table, usable_backends  # noqa: E402
from models.hotline_rows import HEADERS  # noqa: E402

ADDRESSES = (
    "现代花园{n}幢",
    "四季新村{n}幢",
    "四季路{n}号",
    "畈东小区{n}号楼",
    "经发大道{m}号",
    "月亮湾{n}号",
)
TARGET_SECONDS, TARGET_MB = 30.0, 300.0
CHILD = """
import resource, sys
from bot import cli
code = cli.main(sys.argv[1:])
use = resource.getrusage(resource.RUSAGE_SELF)
print("maxrss_kb", use.ru_maxrss, use.ru_utime + use.ru_stime, file=sys.stderr)
sys.exit(code)
"""


def workbook(path: Path, rows: int) -> Path:
    """A 派单 export of the given number of orders, addresses cycling through the demo's names."""
    book = Workbook(write_only=True)
    ws = book.create_sheet("派单列表")
    ws.append(list(HEADERS.values()))
    for i in range(rows):
        address = ADDRESSES[i % len(ADDRESSES)].format(n=i % 12 + 1, m=100 + i % 200)
        ws.append(
            [
                f"BJ{i:08d}",
                "2026-11-23 09:00",
                "城市管理/道路",
                f"{address}路面破损，市民来电反映，请尽快处理",
                address,
                "王先生",
                "13700001111",
                "2026-11-30 18:00",
                "一般",
            ]
        )
    book.save(path)
    return path


async def prepare(url: str) -> None:
    """Migrate, seed the demo, bind a group to each grid the addresses reach."""
    app = await start_app(url)
    try:
        for grid in ("siji-1", "siji-2", "jingfa-1", "jingfa-2"):
            await bind_group(app, grid, f"@{grid}")
    finally:
        app.close()


def run_import(url: str, path: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak MB and the summary line of one import in a child process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "hotline", "import", str(path), "--db", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}): {done.stderr[-2000:]}")
    line = next(line for line in done.stderr.splitlines() if line.startswith("maxrss_kb"))
    _, kb, cpu = line.split()
    return seconds, float(cpu), int(kb) / 1024, done.stdout.splitlines()[0]


def main() -> None:
    """Time the imports on each backend and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    rows = []
    with TemporaryDirectory() as folder:
        path = workbook(Path(folder) / "dispatch.xlsx", args.rows)
        for backend in usable_backends(args.backends.split(",")):
            url = fresh_database(backend)
            asyncio.run(prepare(url))
            for run in ("first", "again (all known)"):
                seconds, cpu, mb, summary = run_import(url, path)
                rate = f"{args.rows / seconds:,.0f}"
                rows.append(
                    (backend, run, args.rows, f"{seconds:.1f}", f"{cpu:.1f}", rate, f"{mb:.0f}", summary)
                )
    print(table(["backend", "import", "rows", "wall s", "CPU s", "rows/s", "peak MB", "summary"], rows))
    print(f"target: {args.rows} rows in under {TARGET_SECONDS:.0f} s and under {TARGET_MB:.0f} MB")


if __name__ == "__main__":
    main()
