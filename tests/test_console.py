"""The console contract, checked on the real `jiesu console` command in a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from handlers import texts

from . import timing
from .harness import write_png

SCRIPT = """\
# comments and blank lines are ignored

!advance 2h
w1: 你好
admin@siji1: /bind siji-1
admin: /grant w1 worker siji-1
this line is bad
r1: /report
r1: [tap 99]
r1: [tap 1]
r1: [tap 道路破损]
r1: 人行道破了一个大坑
r1: [photo {png}]
r1: [location abc]
r1: [location 29.3451,120.0752]
r1: [contact 13800138000]
r1: [tap 确认提交]
!frobnicate
!advance soon
r9: [tap 1]
r1: [photo /nonexistent/x.png]
w1@siji1: [tap 抢单]
"""
ERRORS = [
    "error: cannot parse 'this line is bad': expected 'USER: TEXT' or 'USER@GROUP: TEXT'",
    "error: [tap 99]: the latest buttons in r1 are 1..10",
    "error: [location abc]: expected LAT,LON like 29.345,120.075",
    "error: unknown directive !frobnicate: only !advance DURATION exists",
    "error: !advance: expected a duration like '30m', '2h' or '3d', got 'soon'",
    "error: no message with buttons in chat r9 yet",
    "error: [photo /nonexistent/x.png]: no such file",
]
HEADER = re.compile(r"^\[(@?[A-Za-z0-9_]+)\] ")
BUTTONS = re.compile(r"^  \[1\] [^ ].*$")


def console(
    db_url: str, tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `jiesu console` on a database and return its exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--db", db_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=timing.bound(120),
        check=False,
    )


def script(tmp_path: Path) -> Path:
    """Write the contract script (with a real PNG) and return its path."""
    png = write_png(tmp_path / "p.png")
    path = tmp_path / "story.txt"
    path.write_text(SCRIPT.format(png=png), encoding="utf-8")
    return path


async def test_text_output_format_errors_and_exit_code(db_url: str, tmp_path: Path) -> None:
    """`--script` prints `[USER] TEXT`, `[@GROUP] TEXT` and a button line; bad lines to stderr; exit 0."""
    result = console(db_url, tmp_path, "--script", str(script(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ERRORS
    lines = result.stdout.splitlines()
    greeting = texts.GREETING.format(subdistrict="北苑街道").splitlines()
    assert lines[: len(greeting) + 1] == [
        f"[w1] {greeting[0]}",
        *greeting[1:],
        "  [1] 📝 反映问题  [2] 📋 我的工单  [3] ❓ 使用帮助",
    ]
    assert f"[@siji1] {texts.BIND_DONE.format(area='四季社区 第一网格', code='siji-1')}" in lines
    assert (
        "[admin] 已授予 w1 网格员 角色，范围：四季社区 第一网格。"
        "请对方先私聊我一次（发送 /start），才能收到工单详情。" in lines
    )
    i = lines.index("[r1] 请选择问题类别：")
    assert lines[i + 1] == (
        "  [1] 大城管  [2] 住房  [3] 物业  [4] 矛盾纠纷  [5] 民生服务  [6] 公共安全"
        "  [7] 邻里互助  [8] 建议 金点子  [9] 其他  [10] ✖️ 取消"
    )
    card = lines.index("[@siji1] 【新工单 #1】大城管/道路破损")
    assert lines[card + 1 : card + 6] == [
        "人行道破了一个大坑",
        "区域：四季社区 第一网格",
        "时限：简单",
        "提交时间：11月23日 11:00",  # !advance 2h moved the clock before the report
        "  [1] 🙋 抢单",
    ]
    assert lines[-1] == "[w1] 抢单成功！工单 #1 由您办理。"
    headers = [HEADER.match(line).group(1) for line in lines if HEADER.match(line)]  # type: ignore[union-attr]
    assert set(headers) == {"w1", "@siji1", "admin", "r1"}
    assert sum(bool(BUTTONS.match(line)) for line in lines) == 9


async def test_jsonl_output(db_url: str, tmp_path: Path) -> None:
    """`--jsonl` prints one JSON object per message with chat, text, buttons and photo."""
    result = console(db_url, tmp_path, "--jsonl", "--script", str(script(tmp_path)))
    assert result.returncode == 0
    assert len(result.stderr.splitlines()) == len(ERRORS)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(set(r) == {"chat", "text", "buttons", "photo"} for r in records)
    assert records[0] == {
        "chat": "w1",
        "text": texts.GREETING.format(subdistrict="北苑街道"),
        "buttons": ["📝 反映问题", "📋 我的工单", "❓ 使用帮助"],
        "photo": None,
    }
    card = next(r for r in records if r["text"].startswith("【新工单 #1】"))
    assert (card["chat"], card["buttons"], card["photo"]) == ("@siji1", ["🙋 抢单"], None)
    photo = next(r for r in records if r["photo"])
    assert photo == {
        "chat": "w1",
        "text": texts.DETAILS_PHOTO.format(id=1),
        "buttons": [],
        "photo": str(tmp_path / "p.png"),
    }
    assert records[-1] == {"chat": "w1", "text": texts.GRAB_WON.format(id=1), "buttons": [], "photo": None}


async def test_reads_piped_standard_input(db_url: str, tmp_path: Path) -> None:
    """Without --script the console reads piped standard input and exits 0 at its end."""
    result = console(db_url, tmp_path, stdin="r1: /start\n# done\nr1: [tap 我的工单]\n")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.splitlines()[-2:] == [
        f"[r1] {texts.MY_EMPTY}",
        "  [1] 📝 反映问题  [2] 📋 我的工单  [3] ❓ 使用帮助",
    ]


async def test_missing_script_file(tmp_path: Path) -> None:
    """A script path that does not exist is a clear error with a non-zero exit."""
    result = console(f"sqlite:///{tmp_path}/x.db", tmp_path, "--script", str(tmp_path / "nope.txt"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: script not found: {tmp_path / 'nope.txt'}"
