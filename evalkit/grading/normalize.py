"""String normalisation of answers: the cheap first layer, and the canonical form used by `answer_key`.

Everything here is linear-time string work (no sympy), so it can run in the main process on any input,
including 100 kB junk, without a time bound.
"""

from __future__ import annotations

import re
from functools import lru_cache

from evalkit.grading.units import split_unit

_UNICODE = {
    "√": r"\sqrt",
    "π": r"\pi",
    "∞": r"\infty",
    "≤": r"\le ",
    "≥": r"\ge ",
    "≠": r"\ne ",
    "−": "-",
    "–": "-",
    "×": r"\times ",
    "·": r"\cdot ",
    "÷": "/",
    "²": "^2",
    "³": "^3",
    "½": r"\frac{1}{2}",
    "¼": r"\frac{1}{4}",
    "¾": r"\frac{3}{4}",
    "⅓": r"\frac{1}{3}",
    "⅔": r"\frac{2}{3}",
    "°": r"^\circ",
    "∪": r"\cup ",
    "∩": r"\cap ",
    "∈": r"\in ",
    "±": r"\pm ",
    "\u00a0": " ",
}

# Commands whose argument is kept as plain text.
_TEXT_CMDS = r"text|textbf|textit|textrm|textsf|texttt|textnormal|mbox|mathrm|mathbf|mathit|mathsf|mathtt|operatorname|boldsymbol|bm|hbox"
_DROP = [
    r"\\displaystyle",
    r"\\textstyle",
    r"\\scriptstyle",
    r"\\m?left(?![a-zA-Z])",
    r"\\m?right(?![a-zA-Z])",
    r"\\big[glr]?(?![a-zA-Z])",
    r"\\Big[glr]?(?![a-zA-Z])",
    r"\\bigg[glr]?(?![a-zA-Z])",
    r"\\Bigg[glr]?(?![a-zA-Z])",
    r"\\!",
    r"\\limits",
    r"\\nolimits",
]
_SPACES = [r"(?<!\\)\\,", r"(?<!\\)\\;", r"(?<!\\)\\:", r"(?<!\\)\\ ", r"~", r"\\qquad", r"\\quad", r"\\enspace(?![a-zA-Z])", r"\\thinspace(?![a-zA-Z])"]

def _unwrap_command(text: str, names: str, keep: bool = True) -> str:
    """Replace `\\name{arg}` by `arg` (or nothing), with balanced braces, for every listed command."""
    pattern = re.compile(r"\\(?:" + names + r")\s*\{")
    out: list[str] = []
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if not m:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : m.start()])
        end = matching_brace(text, m.end() - 1)
        if end < 0:
            out.append(text[m.end() :])
            return "".join(out)
        if keep:
            out.append(" " + text[m.end() : end] + " ")
        pos = end + 1


def matching_brace(text: str, open_at: int) -> int:
    """Index of the `}` closing the `{` at `open_at`, or -1 if unbalanced (linear scan)."""
    depth = 0
    for i in range(open_at, len(text)):
        c = text[i]
        if c == "\\":
            continue
        if c == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif c == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return i
    return -1


def matching_paren(text: str) -> int:
    """Index of the `)` closing the `(` at 0, or -1."""
    depth = 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def strip_math_delimiters(text: str) -> str:
    """Remove $…$, \\(…\\), \\[…\\] and display environments around (and inside) an answer."""
    text = text.strip()
    text = re.sub(r"\\begin\{(?:equation|align|displaymath|math)\*?\}|\\end\{(?:equation|align|displaymath|math)\*?\}", "", text)
    text = text.replace("\\(", " ").replace("\\)", " ").replace("\\[", " ").replace("\\]", " ")
    text = re.sub(r"(?<!\\)\$", " ", text)
    return text.strip()


def _fix_fracs(text: str) -> str:
    """`\\frac12`, `\\frac 59`, `\\frac3{3}`, `\\frac{a}b` -> `\\frac{..}{..}`; same for \\sqrt2."""
    text = re.sub(r"\\[dt]frac(?![a-zA-Z])", r"\\frac", text)
    text = re.sub(r"\\cfrac(?![a-zA-Z])", r"\\frac", text)
    text = re.sub(r"\\frac\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])", r"\\frac{\1}{\2}", text)
    text = re.sub(r"\\frac\s*([0-9a-zA-Z])\s*\{", r"\\frac{\1}{", text)
    text = re.sub(r"\\frac\s*(\{[^{}]*\})\s*([0-9a-zA-Z])", r"\\frac\1{\2}", text)
    text = re.sub(r"\\sqrt\s*([0-9a-zA-Z])", r"\\sqrt{\1}", text)
    return text


def _thousands(text: str) -> str:
    """Drop thousands separators: `10{,}000`, `3,\\!250`, `1,000,000.5`, `1 000` (but not lists like `1, 2`)."""
    text = re.sub(r"(\d)\{,\}(?=\d{3})", r"\1", text)
    text = re.sub(r"(\d),\\!\s*(?=\d{3})", r"\1", text)
    if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", text.strip()) and not text.strip().startswith("0,"):
        text = text.replace(",", "")
    if re.fullmatch(r"[-+]?\d{1,3}(?: \d{3})+(?:\.\d+)?", text.strip()):
        text = text.replace(" ", "")
    return text


_PERCENT = re.compile(r"\s*(?:\\%|%|\\text\{\s*\\?%\s*\}|\bpct\b|\bpercentage\b|\bpercent\b)\s*\.?$")


_SIMPLE = re.compile(r"[0-9A-Za-z.+\-/ ()]*")
_RE_DROP = re.compile("|".join(_DROP))
_RE_SPACES = re.compile("|".join(_SPACES))
_RE_BOXED = re.compile(r"\\boxed\s*\{")
_RE_GROUP_SEP = re.compile(r"(\d)(?:\{,\}|,\\!\s*)(?=\d{3})")
_RE_DOUBLED = re.compile(
    r"(?<!\\)\\\\(?=(?:[dtc]?frac|sqrt|pi|left|right|boxed|text\w*|mathrm|cdot|times|infty|le|ge|leq|geq|ne|circ|"
    r"begin|end|in|cup|cap|pm|mp|sin|cos|tan|cot|sec|csc|log|ln|exp|alpha|beta|theta|\$|%)(?![a-zA-Z]))"
)
_RE_ANGLE_BRACKETS = re.compile(r"\\[lr]angle(?![a-zA-Z])")
_RE_SINGLE_CMD = re.compile(r"(?<!\\)\\[a-zA-Z]")
_RE_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.DOTALL)
_RE_ARRAY = re.compile(r"\\begin\{array\}\s*\{[^{}]*\}(.*?)\\end\{array\}", re.DOTALL)
_RE_BRACKETED_MATRIX = re.compile(r"([\[(])\s*\\begin\{matrix\}(.*?)\\end\{matrix\}\s*([\])])", re.DOTALL)
_RE_BARE_FUNC = re.compile(
    r"(?<![\\A-Za-z])(arcsin|arccos|arctan|sinh|cosh|tanh|sin|cos|tan|cot|sec|csc|ln|log|exp)(?![A-Za-z])"
    r"(?=\s*[(\[{0-9\\^_]|\s+[A-Za-z](?![A-Za-z]))"
)


def _undouble(text: str) -> str:
    """Backslashes doubled by JSON or a Python literal (`\\\\frac{1}{2}`, `\\\\$`) back to single ones."""
    if "\\\\" not in text:
        return text
    if not _RE_SINGLE_CMD.search(text):  # escaped throughout: halve every pair (`\\\\\\\\` rows become `\\\\`)
        return text.replace("\\\\", "\\")
    return _RE_DOUBLED.sub(r"\\", text)  # mixed: only doubled backslashes before a command name


def _cases_as_list(m: re.Match) -> str:
    return ", ".join(line.replace("&", "").strip() for line in m.group(1).split("\\\\") if line.strip())


def _bracketed_matrix(m: re.Match) -> str:
    env = {("[", "]"): "bmatrix", ("(", ")"): "pmatrix"}.get((m.group(1), m.group(3)))
    return f"\\begin{{{env}}}{m.group(2)}\\end{{{env}}}" if env else m.group(0)


def _environments(text: str) -> str:
    """`cases` as a list of its lines; `array` (in brackets or not) as the matching matrix environment."""
    if "\\begin" not in text:
        return text
    text = _RE_CASES.sub(_cases_as_list, text)
    text = _RE_ARRAY.sub(r"\\begin{matrix}\1\\end{matrix}", text)
    return _RE_BRACKETED_MATRIX.sub(_bracketed_matrix, text)


_RE_MIXED_SLASH = re.compile(r"^([-+]?\d+)\s+(\d+)\s*/\s*(\d+)$")
_RE_WS = re.compile(r"\s+")
_RE_TRAIL = re.compile(r"[.。,;:\\\s]+$")


@lru_cache(maxsize=8192)  # golds repeat across samples, and compare() reads each side more than once
def basic(text: str) -> str:
    """Cosmetic normalisation that never changes meaning: delimiters, sizing commands, unicode, spacing."""
    if text is None:
        return ""
    if _SIMPLE.fullmatch(text):  # plain numbers and words: nothing LaTeX to undo
        return _RE_TRAIL.sub("", _RE_WS.sub(" ", text).strip())
    text = _undouble(text)
    for k, v in _UNICODE.items():
        if k in text:
            text = text.replace(k, v)
    text = strip_math_delimiters(text)
    text = _RE_BOXED.sub("{", text)
    text = _RE_GROUP_SEP.sub(r"\1", text)
    text = _RE_DROP.sub("", text)
    if "angle" in text:  # `\\langle 3,-1,2\\rangle`: a vector written with angle brackets
        text = _RE_ANGLE_BRACKETS.sub(lambda m: "(" if m.group(0).endswith("langle") else ")", text)
    text = _RE_SPACES.sub(" ", text)
    text = _environments(text)
    if "\\" in text:
        text = _unwrap_command(text, _TEXT_CMDS)
        text = _fix_fracs(text)
    text = _RE_WS.sub(" ", text).strip()
    text = _RE_TRAIL.sub("", text) if not text.endswith("\\\\") else text
    # Outer braces left by a stripped \boxed.
    while text.startswith("{") and matching_brace(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def strip_degrees(text: str) -> tuple[str, bool]:
    """`30^\\circ` -> `30` when the whole answer is a number with a degree sign."""
    m = re.fullmatch(r"(.*?)\s*(?:\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree|\s*degrees?)", text)
    if m and re.fullmatch(r"[-+]?\s*[\d.,]+|[-+]?\\frac\{\d+\}\{\d+\}", m.group(1).strip()):
        return m.group(1).strip(), True
    return text, False


def strip_percent(text: str) -> tuple[str, bool]:
    m = _PERCENT.search(text)
    if m and m.start() > 0:
        return text[: m.start()].strip(), True
    return text, False


_RE_ESCAPED_DOLLAR = re.compile(r"\\\$|^\$")
_RE_CURRENCY = re.compile(r"^(?:US)?\$\s*")
_RE_DEGREE = re.compile(r"\s*\^\s*\{?\s*\\circ\s*\}?")
_RE_END_PUNCT = re.compile(r"[.,;\\\s]+$")


@lru_cache(maxsize=8192)
def full(text: str) -> str:
    """Full normalisation used by comparison: `basic` plus units, currency, degrees and thousands."""
    text = basic(text)
    if _RE_BARE_FUNC.search(text):  # `cot x`, `arcsin(1/2)`, `ln 2`: function names without a backslash
        text = _RE_BARE_FUNC.sub(r"\\\1 ", text).replace("  ", " ")
    text = _RE_ESCAPED_DOLLAR.sub("", text).strip()
    text = _RE_CURRENCY.sub("", text)
    text, _ = strip_percent(text)
    text, _ = strip_degrees(text)
    text = split_unit(text, degree_sign=False)[0]
    text = _thousands(text)
    text = _RE_MIXED_SLASH.sub(r"\1\\frac{\2}{\3}", text)  # `2 1/3` is a mixed number, before spaces go
    text = _RE_BASE.sub(r"\1", text)  # `2516_8`: a numeral in base 8 is compared by its digits
    text = _RE_DEGREE.sub(r"^\\circ", text)
    text = _RE_WS.sub(" ", text).strip()
    return _RE_END_PUNCT.sub("", text)


def key(text: str) -> str:
    """Canonical compact string: spaces removed, choice letters unwrapped; used as a cache/vote key."""
    return key_from_full(full(text))


_RE_BASE = re.compile(r"^([0-9A-Fa-f]+)_\{?\(?(\d{1,2})\)?\}?$")
_RE_CHOICE = re.compile(r"\(?([A-Ea-e])\)?")


def key_from_full(text: str) -> str:
    """`key` of a string that already went through `full`."""
    text = _RE_WS.sub("", text)
    if text.startswith("(") and text.endswith(")") and "," not in text and matching_paren(text) == len(text) - 1:
        text = text[1:-1]
    m = _RE_CHOICE.fullmatch(text)
    if m:
        return m.group(1).upper()
    return text
