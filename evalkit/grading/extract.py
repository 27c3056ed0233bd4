"""Find the final answer in a model response, or decide there is none.

Order (first that applies wins):
1. reasoning sections are dropped when a solution section follows (`<think>…</think>`, Sky-T1's
   `<|begin_of_thought|>…<|end_of_thought|>`); a response still inside its reasoning has no answer;
2. Minerva's "Final Answer: The final answer is X. I hope it is correct.";
3. the last balanced `\\boxed{…}`/`\\fbox{…}`, joined with boxes just before it that are separated only by
   "and"/","/`\\quad` (`\\boxed{1} and \\boxed{2}`); an unbalanced last box means a cut-off answer: none;
4. the last "answer is / Answer: / final answer … is / 答案：" phrase;
5. the last number or formula of the last sentence, only if that sentence is finished (or the response
   is short). A long response cut off mid-sentence yields None: it is never guessed from the reasoning.
All scans are linear in the length of the response.
"""

from __future__ import annotations

import re

TAIL_CHARS = 4000  # "final answer is" / "Answer:" phrases are looked for in this many closing characters
LONG_OUTPUT = 1500  # characters; beyond this, the trailing fallback needs a finished last sentence

_CHAT_TOKENS = re.compile(r"<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>|<\|eot_id\|>|<｜end▁of▁sentence｜>|</s>")
_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{|\\boxed\s+(?=[^\s{])")
_MINERVA = re.compile(
    r"final answer is\s*:?\s*(.{1,300}?)\s*\.?\s*I hope|final answer is\s*:?\s*(\$[^$]{1,300}\$|\\\(.{1,300}?\\\))",
    re.IGNORECASE | re.DOTALL,
)
_PHRASE = re.compile(
    r"(?:final answer(?:[^\n.]{0,80}?\bis\b|\s*[:：])|\banswer(?:\s+is|\s*[:：])?|答案\s*(?:是|为)?\s*[:：]?|"
    r"r[ée]ponse(?:\s+finale)?\s*(?:est|[:：])|respuesta(?:\s+final)?\s*(?:es|[:：])|antwort\s*(?:ist|lautet|[:：])|"
    r"ответ\s*[:：]?|उत्तर\s*(?:है)?\s*[:：]?)\s*[:：]?",
    re.IGNORECASE,
)
_MATH_ENV = re.compile(r"\$\$(.+?)\$\$|\$([^$]+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_TOKEN = re.compile(
    r"[-+]?\s*(?:\\frac\{[^{}]*\}\{[^{}]*\}|\\sqrt\{[^{}]*\}|\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?)"
    r"(?:\s*(?:\\%|%))?"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|[。！？\n]+")
_BOILERPLATE = re.compile(r"\s*I hope it is correct\.?\s*$|\s*\*\*\s*$", re.IGNORECASE)
_WORD = re.compile(r"(?<![\\a-zA-Z])[A-Za-z]{3,}")
_SCRIPT_WORD = re.compile(r"[\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u3040-\u9fff\uac00-\ud7af]")  # words, not maths
_PART_LABEL = re.compile(r"\(?(?:[a-h]|[ivx]{1,4}|\d{1,2})\)[.:]?|part|\d{1,2}[.:]", re.IGNORECASE)
_LABEL = re.compile(r"\s*([A-Za-z])_\{?(\w{1,3})\}?\s*=")
_CHOICE_START = re.compile(r"^\s*\(?([A-E])[.)]\s")


def strip_reasoning(text: str) -> str | None:
    """The solution part of a response with a reasoning section; None if it never left its reasoning."""
    begin = text.find("<|begin_of_solution|>")
    if begin >= 0:
        end = text.find("<|end_of_solution|>", begin)
        solution = text[begin + len("<|begin_of_solution|>") : end if end >= 0 else len(text)]
        if solution.strip():
            return solution
    for open_tag, close_tag in (("<think>", "</think>"), ("<|begin_of_thought|>", "<|end_of_thought|>")):
        close = text.rfind(close_tag)
        if close >= 0:
            after = text[close + len(close_tag) :]
            if after.strip():
                return after
            start = text.rfind(open_tag, 0, close)
            return text[start + len(open_tag) if start >= 0 else 0 : close]
        if open_tag in text:
            return None  # still thinking when generation stopped
    return text


def _brace_pairs(text: str) -> dict[int, int]:
    """Index of every `{` mapped to its closing `}` (one linear pass; unescaped braces only)."""
    pairs, stack = {}, []
    for i, c in enumerate(text):
        if c == "{" and (i == 0 or text[i - 1] != "\\"):
            stack.append(i)
        elif c == "}" and (i == 0 or text[i - 1] != "\\") and stack:
            pairs[stack.pop()] = i
    return pairs


def _boxes(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, content) of every box; content None for an unbalanced one."""
    out = []
    pairs: dict[int, int] | None = None
    for m in _BOX.finditer(text):
        if m.group(0).endswith("{"):
            if pairs is None:
                pairs = _brace_pairs(text)
            end = pairs.get(m.end() - 1, -1)
            out.append((m.start(), end + 1 if end >= 0 else len(text), text[m.end() : end] if end >= 0 else None))
        else:
            t = re.match(r"[^\s$.,]+", text[m.end() :])
            if t:
                out.append((m.start(), m.end() + t.end(), t.group(0)))
    return out


def _joinable(gap: str) -> bool:
    if len(gap) > 80:
        return False
    gap = re.sub(r"\\(?:text|textbf|mathrm|mbox)\s*\{([^{}]*)\}", r" \1 ", gap)
    gap = re.sub(r"\\[()\[\]]|\$|\\q?quad|\\[,;: ]|[,;.]", " ", gap)
    words = gap.split()
    if words and len(words) <= 3 and all(_PART_LABEL.fullmatch(w) for w in words):
        return True  # `(a) \\boxed{3} (b) \\boxed{5}`: the parts of one answer
    return not words or (len(words) <= 4 and words[-1].lower() in ("and", "or", "&"))


def last_boxed(text: str) -> str | None:
    boxes = _boxes(text)
    if not boxes:
        return None
    start, _, content = boxes[-1]
    if content is None:
        return None
    group = [content]
    for prev in reversed(boxes[:-1]):
        if prev[2] is None or prev[1] > start or not _joinable(text[prev[1] : start]):
            break
        group.insert(0, prev[2])
        start = prev[0]
    group = _labelled_parts(boxes, len(boxes) - len(group), group)
    group = [g.strip() for g in group if g.strip()]
    return ", ".join(group) if group else None


def _labelled_parts(boxes: list[tuple[int, int, str | None]], first: int, group: list[str]) -> list[str]:
    """`\\boxed{y_1 = 2x}` … `\\boxed{y_2 = 3x}`: parts of one answer labelled in separate boxes are joined."""
    label = _LABEL.match(group[0]) if len(group) == 1 else None
    if not label:
        return group
    stem, names = label.group(1), {label.group(2)}
    for _, _, content in reversed(boxes[:first]):
        m = _LABEL.match(content or "")
        if not m or m.group(1) != stem or m.group(2) in names:
            break
        names.add(m.group(2))
        group.insert(0, content)
    return group


def _first_sentence(text: str) -> str:
    text = text.strip()
    m = re.search(r"(?<=[^\d\s])\.(?:\s|$)|\.\s+[A-Z]|\n\n", text)
    return text[: m.start() + (1 if text[m.start()] != "." else 0)] if m else text


def _looks_like_math(text: str) -> bool:
    cleaned = re.sub(r"\\[a-zA-Z]+(\{[^{}]*\})?", " ", text)
    return not _WORD.search(cleaned) and not _SCRIPT_WORD.search(cleaned)


def _answer_from_phrase(rest: str) -> str | None:
    """What follows an "answer is"-style phrase: a math group, a box, or the value in the sentence."""
    rest = rest.lstrip(" *:：}\t\r\n")  # `**Answer:**\n\\[ 8 \\]`: the display math below the heading
    m = _MATH_ENV.match(rest)
    if m:
        math = next(g for g in m.groups() if g is not None).strip()
        return (last_boxed(math) or math) if _BOX.search(math) else math  # `$\\boxed{5}$` is 5
    boxed = last_boxed(rest[:400])
    if boxed:
        return boxed
    line = rest.split("\n", 1)[0].strip()
    if not line:
        line = rest.strip().split("\n", 1)[0]
    line = re.sub(r"(?:\\\]|\\\)|\$+)\s*$", "", _first_sentence(line)).strip(" *")
    if not line:
        return None
    if _looks_like_math(line) and len(line) < 300:
        return _computed_value(line.rstrip("."))
    value = _last_value(line)
    if value is None and re.fullmatch(r"[A-Za-z][A-Za-z '\-]{0,40}", line.rstrip(".")):
        return line.rstrip(".")  # a short text answer: `Answer: Evelyn`
    return value


def _computed_value(answer: str) -> str:
    """`(35 + 70 = 105)` -> `105`: a chain of arithmetic ending in a value is that value."""
    inner = answer.strip()
    if inner.startswith("(") and inner.endswith(")") and inner.count("(") == 1:
        inner = inner[1:-1]
    parts = re.split(r"(?<![<>!\\])=", inner)
    if len(parts) > 1 and not re.search(r"[A-Za-z]", re.sub(r"\\(?:frac|times|cdot|div|sqrt|left|right)", "", parts[0])):
        return parts[-1].strip()
    return answer.strip()


def _last_value(sentence: str) -> str | None:
    """The last formula or number of a sentence (after its last `=` or "is")."""
    maths = [next(g for g in m.groups() if g is not None) for m in _MATH_ENV.finditer(sentence)]
    maths = [x.strip() for x in maths if x.strip()]
    if maths:
        last = maths[-1]
        if _looks_like_math(last):
            tail = re.split(r"(?<![<>!\\])=", last)[-1].strip()
            return tail or last
        tokens = _TOKEN.findall(last)
        return tokens[-1].strip() if tokens else None
    tail = re.split(r"(?<![<>!\\])=|\bis\b", sentence)[-1]
    tokens = _TOKEN.findall(tail) or _TOKEN.findall(sentence)
    return tokens[-1].strip() if tokens else None


def extract_answer(output: str | None) -> str | None:
    """The final answer of a model response as a LaTeX string, or None when it has none."""
    if not output or not output.strip():
        return None
    text = output
    chat = _CHAT_TOKENS.search(text)
    if chat and text[: chat.start()].strip():
        text = text[: chat.start()]
    text = strip_reasoning(text)
    if text is None or not text.strip():
        return None
    tail = text[-TAIL_CHARS:]  # closing statements live at the end; bounding the scan keeps it linear
    minerva = list(_MINERVA.finditer(tail))
    if minerva:
        found = _answer_from_phrase(minerva[-1].group(1) or minerva[-1].group(2))
        if found:
            return found
    if _BOX.search(text):
        return last_boxed(text)
    phrases = list(_PHRASE.finditer(tail))
    for phrase in reversed(phrases[-5:]):
        found = _answer_from_phrase(tail[phrase.end() : phrase.end() + 2000])
        if found:
            return found
    m = _CHOICE_START.match(text)
    if m and len(text) < 200:
        return m.group(1)
    return _trailing(text)


# How a long response that did finish ends: a sentence end (possibly inside or after closing math or
# emphasis) or a closed display formula.
_LONG_FINISHED = re.compile(r"[.!?。！？][\s$*)\]]*$|\\\]\s*$|\$\$\s*$")


def _trailing(text: str) -> str | None:
    body = _BOILERPLATE.sub("", text.rstrip())
    body = _BOILERPLATE.sub("", body).rstrip()
    if not body:
        return None
    if len(body) > LONG_OUTPUT and not _LONG_FINISHED.search(body):
        # A long response that stops mid-sentence was cut off: a trailing "4x = 28" or "$S_3 = 14$"
        # is a stray number from the reasoning, not an answer.
        return None
    # The last display/inline formula, if the response ends with one.
    sentences = [s for s in _SENTENCE_END.split(body) if s and s.strip()]
    if not sentences:
        return None
    last = sentences[-1]
    if len(body) < 300 and _looks_like_math(body):
        return _computed_value(body.strip())
    body = body[-3000:]
    display = list(_MATH_ENV.finditer(body))
    if display and display[-1].end() >= len(body.rstrip(" .")) - 1:
        content = next(g for g in display[-1].groups() if g is not None).strip()
        if content:
            return _last_value(f"${content}$")
    return _last_value(last)
