"""Build the training corpus: templates × slots × noise, seeded, plus the hand-written messages.

Inputs (handlers/data/reader/): templates.txt (slots, templates and per-category phrase groups; its
header explains the format) and handwritten.txt (messages written one by one, in sections). Output:
corpus.tsv, one message a line. The same inputs and seed give the same file, byte for byte.

Noise is what real messages carry: typing slips of a pinyin keyboard, dialect words, voice-to-text
run-ons without punctuation, full-width characters, emoji, shouting punctuation.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .labelled import INTENTS, Labelled, load

SEED = 24
# Generated messages per intent (problems: per category); hand-written ones come on top.
PER_INTENT = 3100
PER_CATEGORY = 360
# Give up on a label after this many draws per wanted message (its templates are exhausted).
MAX_DRAWS = 40
# Problem messages: share drawn from the combined forms, the whole lines, the English lines.
PROBLEM_MIX = (("forms", 0.58), ("lines", 0.34), ("en", 0.08))

_SLOT = re.compile(r"\{([a-z_0-9]+)(\??)\}")
_CN = "零一二三四五六七八九"


@dataclass
class Section:
    """One section of templates.txt: its slots, forms, and (problem categories) groups and lines."""

    slots: dict[str, list[str]] = field(default_factory=dict)
    forms: list[str] = field(default_factory=list)
    groups: list[tuple[list[str], list[str]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    en: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    still: list[str] = field(default_factory=list)


def parse(text: str) -> dict[str, Section]:
    """The sections of templates.txt by name ("slots", "status", "problem road", …)."""
    sections: dict[str, Section] = {}
    current: Section | None = None
    things: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), Section())
            things = None
            continue
        if not line or line.startswith("#"):
            continue
        key, sep, rest = line.partition(":")
        if current is None or not sep:
            raise ValueError(f"templates.txt:{number}: expected 'name: a | b' inside a '## section'")
        values = [v.strip() for v in rest.split("|") if v.strip()]
        key = key.strip()
        if key == "things":
            things = values
        elif key == "faults":
            if things is None:
                raise ValueError(f"templates.txt:{number}: 'faults' without 'things' before it")
            current.groups.append((things, values))
            things = None
        elif key in ("forms", "lines", "en", "fixed", "still"):
            getattr(current, key).extend(values)
        else:
            current.slots.setdefault(key, []).extend(_raw_values(rest))
    return sections


def _raw_values(rest: str) -> list[str]:
    # Slot values keep their inner spaces; a value of spaces only is a separator (a space).
    out = []
    for v in rest.split("|"):
        stripped = v.strip()
        out.append(stripped if stripped else (" " if v and v != v.strip() and " " in v[1:-1] else ""))
    return out


class Generator:
    """Draws messages for each label from the parsed templates with one seeded random source."""

    def __init__(self, sections: dict[str, Section], seed: int = SEED) -> None:
        self.sections = sections
        self.random = random.Random(seed)
        self.globals = {**sections["slots"].slots, **sections["tickets"].slots}
        self.categories = sorted(k.split(" ", 1)[1] for k in sections if k.startswith("problem "))
        self.fixed = [v for c in self.categories for v in sections[f"problem {c}"].fixed]
        self.still = [v for c in self.categories for v in sections[f"problem {c}"].still]

    # --- slots -----------------------------------------------------------------------------
    def fill(self, template: str, local: dict[str, list[str]], depth: int = 0) -> str:
        """Replace every {slot} (and {slot?}, empty half the time) with a drawn value."""

        def one(m: re.Match[str]) -> str:
            name, optional = m.group(1), m.group(2)
            if optional and self.random.random() < 0.5:
                return ""
            value = self.special(name)
            if value is None:
                choices = local.get(name) or self.globals.get(name)
                if choices is None:
                    raise KeyError(f"unknown slot {{{name}}} in {template!r}")
                value = self.random.choice(choices)
            return self.fill(value, local, depth + 1) if depth < 6 and "{" in value else value

        return _SLOT.sub(one, template)

    def special(self, name: str) -> str | None:
        """Slots drawn by code: ticket numbers in three scripts, and fixes or faults of any category."""
        r = self.random
        if name == "d":
            return str(self._ticket())
        if name == "cn":
            return chinese_number(r.randint(1, 99))
        if name == "fw":
            return to_fullwidth(str(self._ticket()))
        if name == "fixed":
            return r.choice(self.fixed)
        if name == "still":
            return r.choice(self.still)
        return None

    def _ticket(self) -> int:
        # Small numbers are the usual ones in a subdistrict; a few run into the thousands.
        r = self.random
        return r.randint(1, 60) if r.random() < 0.6 else r.randint(1, 3000)

    # --- labels ----------------------------------------------------------------------------
    def draw(self, label: str, category: str = "") -> str:
        """One message for a label (and a category, for problems), noise included."""
        if label == "problem":
            text = self._problem(category)
        else:
            section = self.sections[label]
            text = self.fill(self.random.choice(section.forms), section.slots)
        return self.noise(label, _tidy(text))

    def _problem(self, category: str) -> str:
        section = self.sections[f"problem {category}"]
        r = self.random
        pick = r.random()
        kind = "forms"
        for name, share in PROBLEM_MIX:
            if pick < share:
                kind = name
                break
            pick -= share
        if kind == "lines" and section.lines:
            return self.fill(r.choice(section.lines), section.slots)
        if kind == "en" and section.en:
            return self.fill(r.choice(section.en), section.slots)
        things, faults = r.choice(section.groups)
        local = {**section.slots, "thing": things, "fault": faults}
        return self.fill(r.choice(self.sections["problem-forms"].forms), local)

    # --- noise -----------------------------------------------------------------------------
    def noise(self, label: str, text: str) -> str:
        """Apply zero or more kinds of noise, each with its own chance."""
        r = self.random
        english = text.isascii()
        steps: list[tuple[float, Callable[[str], str]]] = (
            [(0.25, self._english_case), (0.08, to_fullwidth), (0.12, self._emoji), (0.08, self._slip)]
            if english
            else [
                (0.14, self._typo),
                (0.12, self._dialect),
                (0.14, self._voice),
                (0.07, to_fullwidth),
                (0.12, self._emoji),
                (0.10, self._shout),
                (0.04, self._slip),
            ]
        )
        for chance, step in steps:
            if r.random() < chance:
                text = step(text)
        if label in _POLITE and r.random() < 0.10 and not english:
            text = r.choice(_POLITE[label]).format(text=text)
        return _tidy(text)

    def _typo(self, text: str) -> str:
        hits = [(a, b) for a, b in TYPOS if a in text]
        if not hits:
            return text
        a, b = self.random.choice(hits)
        return text.replace(a, self.random.choice(b.split("/")), 1)

    def _dialect(self, text: str) -> str:
        hits = [(a, b) for a, b in DIALECT if a in text]
        if not hits:
            return text
        a, b = self.random.choice(hits)
        return text.replace(a, self.random.choice(b.split("/")), 1)

    def _voice(self, text: str) -> str:
        """Voice-to-text: no punctuation or spaces, a filler word or a repeated word now and then."""
        r = self.random
        bare = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZ")
        if r.random() < 0.5 and len(bare) > 3:
            cut = r.randint(1, len(bare) - 1)
            bare = bare[:cut] + r.choice(FILLERS) + bare[cut:]
        if r.random() < 0.3:
            bare = r.choice(("喂", "喂喂", "嗯", "那个", "就是")) + bare
        if r.random() < 0.2 and len(bare) > 4:
            cut = r.randint(2, min(4, len(bare)))
            bare = bare[:cut] + bare[:cut] + bare[cut:]
        return bare

    def _emoji(self, text: str) -> str:
        r = self.random
        mark = r.choice(EMOJI) * r.choice((1, 1, 2, 3))
        return mark + text if r.random() < 0.2 else text + mark

    def _shout(self, text: str) -> str:
        return text.rstrip("。.!！?？") + self.random.choice(
            ("！！！", "！！", "？？", "。。。", "~", "啊！", "!!!", "??")
        )

    def _slip(self, text: str) -> str:
        """A dropped or doubled character, as a hurried thumb makes."""
        r = self.random
        if len(text) < 5:
            return text
        i = r.randint(1, len(text) - 2)
        return text[:i] + text[i + 1 :] if r.random() < 0.5 else text[:i] + text[i] + text[i:]

    def _english_case(self, text: str) -> str:
        r = self.random
        choice = r.random()
        if choice < 0.4:
            return text[:1].upper() + text[1:]
        if choice < 0.55:
            return text.upper()
        return text + r.choice((" pls", " please", "!", "?", " thanks", " sir", "..."))


# Pinyin-keyboard slips (a wrong character of the same sound) and common miswritings.
TYPOS = [
    ("的", "得/地"),
    ("在", "再"),
    ("再", "在"),
    ("已经", "以经/已近/己经"),
    ("反映", "反应"),
    ("垃圾", "拉圾/垃级/辣鸡"),
    ("电梯", "电体/电题"),
    ("修", "休"),
    ("坏", "怀"),
    ("处理", "出理/除理"),
    ("怎么", "怎莫/咋么/怎摸"),
    ("什么", "什麽/神马"),
    ("那", "哪"),
    ("哪", "那"),
    ("谢谢", "谢射/xiexie/蟹蟹"),
    ("麻烦", "麻凡/马烦"),
    ("物业", "无业/物页"),
    ("投诉", "头诉/投述"),
    ("停车", "听车"),
    ("路灯", "露灯/路等"),
    ("一直", "一只"),
    ("吗", "嘛/马"),
    ("呢", "捏/呐"),
    ("满意", "蛮意/满易"),
    ("解决", "接决/解绝"),
    ("问题", "问提/文题"),
    ("漏水", "露水"),
    ("小区", "小去"),
    ("进度", "近度"),
    ("撤销", "撤消"),
    ("工单", "公单/工担"),
    ("咨询", "资讯/咨讯"),
    ("办理", "半理"),
    ("好了", "号了/好乐"),
    ("没有", "没又/美有"),
    ("师傅", "师父"),
    ("辛苦", "心苦"),
    ("现在", "先在"),
    ("还是", "还似"),
    ("楼道", "楼到"),
    ("井盖", "井概"),
    ("清理", "请理"),
    ("服务", "福务"),
    ("申请", "申情"),
    ("不满意", "不蛮意"),
    ("处理完", "出理完"),
]
# Dialect and colloquial words for the plain ones (Wu, Sichuan, northern, Cantonese-flavoured).
DIALECT = [
    ("没有", "木有/冇得/没得/么得"),
    ("什么", "啥/啥子/么子/撒子"),
    ("怎么", "咋/咋个/怎个/咋子"),
    ("不知道", "不晓得/不造/晓不得"),
    ("这里", "这儿/这块儿/这嘎达/这边厢"),
    ("那里", "那儿/那嘎达"),
    ("很", "老/贼/蛮/忒/好"),
    ("非常", "老/贼/特"),
    ("现在", "这会儿/而今"),
    ("东西", "玩意儿/物事"),
    ("我们", "俺们/阿拉/我们这边"),
    ("你们", "恁们/侬们"),
    ("孩子", "娃/伢儿/小囡"),
    ("干什么", "干啥/搞么子"),
    ("不要", "覅/甭/莫"),
    ("好几天", "好些天/好多天"),
    ("一点", "一滴滴/一丢丢"),
    ("了", "咯/嘞/喽"),
    ("是不是", "是勿是/是伐"),
    ("吗", "不/伐"),
    ("没人管", "没得人管/么人管"),
    ("厉害", "凶/恼火"),
    ("谢谢", "谢了哈/多谢哈"),
    ("好的", "好嘞/要得/中"),
    ("可以", "得行/要得/中"),
    ("不行", "不得行/不中"),
    ("垃圾", "垃圾垃圾"),
    ("睡觉", "困觉"),
    ("师傅", "师傅哎/老师傅"),
    ("快点", "快些/麻溜"),
]
FILLERS = ("那个", "就是", "嗯", "然后", "这个", "就", "那啥", "呃", "就是说", "反正")
EMOJI = ("😭", "😡", "🙏", "😤", "😊", "👍", "💪", "😓", "❤️", "🤔", "😂", "🌹", "😃", "🔥", "😅", "👌")
_POLITE = {
    "problem": ("你好，{text}", "{text} 谢谢", "麻烦一下 {text}", "{text}，麻烦尽快", "网格员 {text}"),
    "status": ("你好 {text}", "{text} 谢谢", "麻烦问下 {text}"),
    "withdraw": ("你好 {text}", "{text} 谢谢", "不好意思 {text}"),
    "consult": ("你好 {text}", "{text} 谢谢", "{text}？"),
    "report": ("你好 {text}", "{text}谢谢"),
}


def to_fullwidth(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms (as some keyboards type them)."""
    return "".join(
        chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch) for ch in text
    )


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 45 → 四十五 (up to 99)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN[ones]
    head = "" if tens == 1 else _CN[tens]
    return head + "十" + (_CN[ones] if ones else "")


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text.replace("\t", " ").replace("\n", " ")).strip(" ，,、")
    text = re.sub(r"([，。！、])[ ，。、]+", r"\1", text)
    return text


def key(text: str) -> str:
    """What two messages must share to count as the same message: NFKC, lower case, no punctuation."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZ")


def build(data: Path, seed: int = SEED) -> list[Labelled]:
    """The corpus: hand-written messages first, then generated ones, without duplicates or conflicts."""
    sections = parse((data / "templates.txt").read_text("utf-8"))
    generator = Generator(sections, seed)
    hand = load(data / "handwritten.txt")
    seen: dict[str, str] = {}
    rows: list[Labelled] = []
    for row in hand:
        k = key(row.text)
        if k and k not in seen:
            seen[k] = row.intent
            rows.append(row)
    wanted: list[tuple[str, str, int]] = [("problem", c, PER_CATEGORY) for c in generator.categories]
    wanted += [(label, "", PER_INTENT) for label in INTENTS if label != "problem"]
    for label, category, count in wanted:
        made = 0
        for _ in range(count * MAX_DRAWS):
            if made >= count:
                break
            text = generator.draw(label, category)
            k = key(text)
            if not k or k in seen or len(text) > 200:
                continue
            seen[k] = label
            rows.append(Labelled(text, label, category))
            made += 1
    return rows


HEADER = """Training corpus of the trained reader: intent<TAB>category<TAB>text, one message a line.
Generated by `jiesu understand corpus` (handlers/reader/generate.py) from templates.txt and
handwritten.txt beside this file; do not edit by hand, edit those and regenerate."""
