"""Properties of step segmentation and of the six perturbations (hypothesis)."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.perturb import KINDS, perturb_traces, segment
from training.perturb.kinds import boxed_spans, normalize_answer
from training.perturb.segment import SKY

SETTINGS = settings(max_examples=60, deadline=None)
# Random floats, plus ratios that make p·n land on .5 (where round-half-even would differ).
ratios = st.one_of(
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False), st.sampled_from([0.5, 0.25, 0.75, 0.1, 1.0])
)
seeds = st.integers(min_value=0, max_value=2**31)

KEYWORDS = [
    "Wait,",
    "wait",
    "Hmm.",
    "hmm",
    "However,",
    "Alternatively,",
    "let me check",
    "Let me double-check:",
]
WORDS = [
    "the",
    "value",
    "is",
    "x=12",
    "3.5",
    "so",
    "waiting",
    "hmmm",
    "Waitress",
    "await",
    "ohmm",
    "however-like",
    "(7)",
    "we",
    "get",
]
word = st.sampled_from(WORDS + KEYWORDS)
step_text = st.lists(word, min_size=1, max_size=10).map(" ".join)
steps_st = st.lists(step_text, min_size=1, max_size=12)


def sky(steps: list[str], solution: str) -> str:
    return f"{SKY[0]}\n\n" + "\n\n".join(steps) + f"\n\n{SKY[1]}\n\n{SKY[2]}\n\n{solution}\n\n{SKY[3]}"


def r1(steps: list[str], solution: str) -> str:
    return "<think>\n" + "\n\n".join(steps) + f"\n</think>\n\n{solution}"


plain_text = st.text(alphabet=st.sampled_from("ab1 \n\t.,"), max_size=80)


@SETTINGS
@given(a=plain_text, b=plain_text, c=plain_text, d=plain_text, e=plain_text)
def test_segment_then_join_is_exact(a: str, b: str, c: str, d: str, e: str) -> None:
    for text in (a + b, f"{a}{SKY[0]}{b}{SKY[1]}{c}{SKY[2]}{d}{SKY[3]}{e}", f"{a}{SKY[0]}{b}",
                 f"{a}<think>{b}</think>{c}", f"{b}</think>{c}"):  # fmt: skip
        assert segment(text).join() == text


@SETTINGS
@given(steps=steps_st, solution=step_text)
def test_steps_are_the_paragraphs_and_solution_is_apart(steps: list[str], solution: str) -> None:
    for text in (sky(steps, solution), r1(steps, solution)):
        trace = segment(text)
        assert trace.steps == steps
        assert trace.solution == solution


@SETTINGS
@given(body=plain_text, p=ratios, seed=seeds, kind=st.sampled_from(["shuffle", "delete", "insert", "replace"]))
def test_structural_output_segments_back_into_its_steps(body: str, p: float, seed: int, kind: str) -> None:
    traces = [
        segment(f"{SKY[0]}{body}{SKY[1]}{SKY[2]}x"),
        segment("other\n\n step \n\nhere"),
        segment("a\n\nb"),
    ]
    for out in perturb_traces(traces, [None] * 3, kind, p, seed):
        assert segment(out.trace.join()).steps == out.trace.steps


def _traces(rows: list[list[str]]) -> list:
    """Row i has gold answer str(i), boxed in its solution."""
    return [segment(sky(steps, f"So the answer is \\boxed{{{i}}}.")) for i, steps in enumerate(rows)]


@SETTINGS
@given(rows=st.lists(steps_st, min_size=2, max_size=4), kind=st.sampled_from(KINDS), seed=seeds)
def test_ratio_zero_is_identity(rows: list[list[str]], kind: str, seed: int) -> None:
    traces = _traces(rows)
    golds = [str(i) for i in range(len(traces))]
    for trace, out in zip(traces, perturb_traces(traces, golds, kind, 0.0, seed), strict=True):
        assert out.trace.join() == trace.join()
        assert (out.steps_touched, out.tokens_changed) == (0, 0)


@SETTINGS
@given(rows=st.lists(steps_st, min_size=2, max_size=4), kind=st.sampled_from(KINDS), p=ratios, seed=seeds)
def test_same_seed_same_output(rows: list[list[str]], kind: str, p: float, seed: int) -> None:
    traces = _traces(rows)
    golds = [str(i) for i in range(len(traces))]
    first = [o.trace.join() for o in perturb_traces(traces, golds, kind, p, seed)]
    assert first == [o.trace.join() for o in perturb_traces(traces, golds, kind, p, seed)]


@SETTINGS
@given(steps=steps_st, p=ratios, seed=seeds)
def test_shuffle_keeps_the_multiset_of_steps(steps: list[str], p: float, seed: int) -> None:
    [trace] = _traces([steps])
    [out] = perturb_traces([trace], [None], "shuffle", p, seed)
    assert Counter(out.trace.steps) == Counter(steps)
    assert out.trace.solution == trace.solution
    k = math.floor(p * len(steps) + 0.5)
    assert out.steps_touched == (k if k >= 2 else 0)
    if p == 1.0 and len(set(steps)) == len(steps) > 1:
        assert all(a != b for a, b in zip(out.trace.steps, steps, strict=True))  # every step moved


@SETTINGS
@given(steps=steps_st, p=ratios, seed=seeds)
def test_delete_removes_exactly_round_p_n_steps(steps: list[str], p: float, seed: int) -> None:
    [trace] = _traces([steps])
    [out] = perturb_traces([trace], [None], "delete", p, seed)
    removed = math.floor(p * len(steps) + 0.5)
    assert len(out.trace.steps) == len(steps) - removed == len(segment(out.trace.join()).steps)
    remaining = iter(steps)
    assert all(any(s == r for r in remaining) for s in out.trace.steps)  # order kept: a subsequence
    assert out.trace.solution == trace.solution


@SETTINGS
@given(rows=st.lists(steps_st, min_size=2, max_size=4), p=ratios, seed=seeds)
def test_insert_adds_round_p_n_foreign_steps(rows: list[list[str]], p: float, seed: int) -> None:
    rows[0] = [f"own step {i}" for i in range(len(rows[0]))]
    traces = _traces(rows)
    out = perturb_traces(traces, [None] * len(traces), "insert", p, seed)[0]
    k = math.floor(p * len(rows[0]) + 0.5)
    assert len(out.trace.steps) == len(rows[0]) + k
    foreign = [s for s in out.trace.steps if not s.startswith("own step")]
    assert len(foreign) == k and all(any(s in r for r in rows[1:]) for s in foreign)
    assert [s for s in out.trace.steps if s.startswith("own step")] == rows[0]


@SETTINGS
@given(rows=st.lists(steps_st, min_size=2, max_size=4), p=ratios, seed=seeds)
def test_replace_swaps_round_p_n_steps_in_place_for_foreign_ones(rows: list[list[str]], p: float, seed: int) -> None:
    rows[0] = [f"own step {i}" for i in range(len(rows[0]))]
    traces = _traces(rows)
    out = perturb_traces(traces, [None] * len(traces), "replace", p, seed)[0]
    k = math.floor(p * len(rows[0]) + 0.5)
    assert len(out.trace.steps) == len(rows[0])  # the structure stays, the content is someone else's
    kept = [(i, s) for i, s in enumerate(out.trace.steps) if s.startswith("own step")]
    assert len(kept) == len(rows[0]) - k and all(s == rows[0][i] for i, s in kept)
    foreign = [s for s in out.trace.steps if not s.startswith("own step")]
    assert all(any(s in r for r in rows[1:]) for s in foreign) and out.steps_touched == k
    assert out.trace.solution == traces[0].solution


@SETTINGS
@given(steps=steps_st, p=ratios, seed=seeds)
def test_digit_corruption_changes_only_digits(steps: list[str], p: float, seed: int) -> None:
    [trace] = _traces([steps])
    before = trace.join()
    [out] = perturb_traces([trace], [None], "digits", p, seed)
    after = out.trace.join()
    assert len(after) == len(before)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert all(a.isdigit() and b.isdigit() for a, b in changed)
    assert out.tokens_changed == len(changed)
    if p == 1.0:
        assert len(changed) == sum(c.isdigit() for c in before)


@SETTINGS
@given(steps=steps_st, seed=seeds)
def test_digit_corruption_at_one_changes_every_digit(steps: list[str], seed: int) -> None:
    [trace] = _traces([[s + " 0123456789" for s in steps]])
    [out] = perturb_traces([trace], [None], "digits", 1.0, seed)
    before, after = trace.join(), out.trace.join()
    assert all(a != b for a, b in zip(before, after, strict=True) if a.isdigit())


def _is_keyword(token: str) -> bool:
    return token in KEYWORDS


@SETTINGS
@given(units=st.lists(st.lists(word, min_size=1, max_size=10), min_size=1, max_size=8), seed=seeds)
def test_keyword_removal_leaves_other_text_intact(units: list[list[str]], seed: int) -> None:
    steps = [" ".join(u) for u in units]
    [trace] = _traces([steps])
    [out] = perturb_traces([trace], [None], "keywords", 1.0, seed)
    for unit, new in zip(units, out.trace.steps, strict=True):
        kept = " ".join(w for w in unit if not _is_keyword(w)).split()
        assert new.split() == kept
    assert out.trace.solution == trace.solution


@SETTINGS
@given(units=st.lists(st.lists(word, min_size=1, max_size=10), min_size=1, max_size=8), p=ratios, seed=seeds)
def test_keyword_removal_at_any_ratio_only_drops_keywords(
    units: list[list[str]], p: float, seed: int
) -> None:
    steps = [" ".join(u) for u in units]
    [trace] = _traces([steps])
    [out] = perturb_traces([trace], [None], "keywords", p, seed)
    for unit, new in zip(units, out.trace.steps, strict=True):
        others = " ".join(w for w in unit if not _is_keyword(w)).split()
        assert [w for w in new.split() if w not in " ".join(KEYWORDS).split()] == others


@SETTINGS
@given(golds=st.lists(st.sampled_from(["7", "12", "\\frac{1}{2}", "x+1", "3.5", "-4"]), min_size=2, max_size=6,
                      unique=True), steps=steps_st, seed=seeds)  # fmt: skip
def test_wrong_answer_differs_from_gold_and_is_consistent(
    golds: list[str], steps: list[str], seed: int
) -> None:
    traces = [
        segment(sky([*steps, f"**Final Answer** \\boxed{{{g}}}"], f"Hence \\boxed{{{g}}}.")) for g in golds
    ]
    outs = perturb_traces(traces, golds, "wrong-answer", 1.0, seed)
    for gold, out in zip(golds, outs, strict=True):
        text = out.trace.join()
        boxed = {text[a:b] for a, b in boxed_spans(text)}
        assert boxed == {out.wrong_answer}
        assert normalize_answer(out.wrong_answer) != normalize_answer(gold)
        assert out.wrong_answer in golds  # taken from another sample
        assert out.solution_touched and out.steps_touched == 1


def test_wrong_answer_ratio_picks_that_share_of_rows() -> None:
    golds = [str(i) for i in range(10)]
    traces = [segment(sky(["a"], f"\\boxed{{{g}}}")) for g in golds]
    outs = perturb_traces(traces, golds, "wrong-answer", 0.3, 1)
    assert sum(o.trace.join() != t.join() for o, t in zip(outs, traces, strict=True)) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{SKY[1]} a {SKY[0]}", "comes before"),
        (f"{SKY[0]} a {SKY[0]}", "2 <|begin_of_thought|> tags"),
        (f"a {SKY[1]} b", "no <|begin_of_thought|>"),
    ],
)
def test_malformed_traces_are_errors_naming_the_row(text: str, message: str) -> None:
    from evalkit.errors import DataError

    with pytest.raises(DataError, match=message) as err:
        segment(text, where="in.jsonl:7")
    assert "in.jsonl:7" in str(err.value)


# The wrong-answer perturbation finds a trace's own answer the way the grader does: \fbox and \boxed alike.
@pytest.mark.parametrize(
    ("box", "answer"),
    [("\\boxed{%s}", "7"), ("\\fbox{%s}", "7"), ("\\boxed {%s}", "7"), ("\\fbox{%s}", "\\frac{1}{2}")],
)
def test_wrong_answer_replaces_the_boxed_answer_however_it_is_boxed(box, answer):
    from training.perturb.kinds import perturb_traces
    from training.perturb.segment import segment

    texts = [f"First step.\n\nSecond step.\n\nSo the answer is {box % answer}.", "Hence \\boxed{12}.",
             "Hence \\boxed{30}."]
    traces = [segment(t, "plain") for t in texts]
    (outcome, *_) = perturb_traces(traces, [None, None, None], "wrong-answer", 1.0, seed=0)
    out = outcome.trace.join()
    assert outcome.answer_found and outcome.wrong_answer in ("12", "30")
    assert box % answer not in out and box % outcome.wrong_answer in out
