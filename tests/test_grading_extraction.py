"""Answer extraction from whole responses, one line per behaviour: (response, expected answer or None)."""

from __future__ import annotations

import pytest

from evalkit.grading import GradeItem, extract_answer, grade

LONG_REASONING = "Let us compute step by step. " + "We have 3 + 4 = 7 and so on. " * 80

# fmt: off
CASES = [
    # boxed answers: the last one, balanced braces, \fbox, adjacent boxes joined
    (r"so \boxed{\frac{1}{2}}.",                                   r"\frac{1}{2}"),
    (r"first \boxed{1} then later \boxed{2}",                      "2"),
    (r"$\boxed{\left(\frac{4}{3}, -\frac{1}{3}\right)}$",          r"\left(\frac{4}{3}, -\frac{1}{3}\right)"),
    (r"answer: \fbox{42}",                                         "42"),
    (r"\boxed{(1, 2)}, \boxed{(2, 1)}",                            "(1, 2), (2, 1)"),
    (r"\boxed{(3, 3)} \text{ for part (a) and } \boxed{(1, 1)}",  "(3, 3), (1, 1)"),
    (r"\boxed{1} and and and or thus but \boxed{2} and \boxed{3}", "2, 3"),
    (r"answer: \fbox{42",                                          None),   # unbalanced: cut off
    # Minerva's format wins over a stray box
    ("Final Answer: The final answer is $14{,}916$. I hope it is correct.", "14{,}916"),
    (r"final answer is $9999$, \boxed{1}",                          "9999"),
    # "Answer:" style phrases
    ("Step 1 ... the total is 12.\n\nAnswer: 12",                  "12"),
    (r"\[ \text{Answer: } \frac{4}{3} \]",                         r"\frac{4}{3}"),
    ("Comparing the speeds, Evelyn is fastest.\n\nAnswer: Evelyn", "Evelyn"),
    ("réponse est (35 + 70 = 105).",                               "105"),
    ("答案：每份应该是 (\\frac{2}{5}) 吨。",                          r"\frac{2}{5}"),
    # trailing value of a finished last sentence
    ("Therefore, there are 12 sequences. I hope it is correct. <|im_start|>user", "12"),
    ("所以一共有3 + 10 = 13只鸟和鹳鸟。",                               "13"),
    ("2x + 3",                                                     "2x + 3"),
    # reasoning sections
    (r"<think>maybe \boxed{3}</think>The answer is \boxed{4}.",    "4"),
    (r"<|begin_of_thought|>try \boxed{3}<|end_of_thought|><|begin_of_solution|>So \boxed{5}<|end_of_solution|>", "5"),
    ("<think>" + LONG_REASONING,                                   None),   # never left its reasoning
    # no answer at all, or cut off mid-sentence after long reasoning: never guessed
    ("Some text without an answer",                                None),
    (LONG_REASONING + "In this case we",                           None),
    (LONG_REASONING + "divide by 4 to get 4x = 28",                None),   # cut off after a number
    (LONG_REASONING + "the partial sum is $S_3 = 14$",             None),   # ... after inline math
    (LONG_REASONING + "consider the case (n = 7)",                 None),   # ... after a parenthesis
    (LONG_REASONING + "So the answer is $14$.",                    "14"),   # a finished last sentence
    (LONG_REASONING + r"Therefore \[ x = 5 \]",                  "5"),    # a closed display formula
    ("",                                                           None),
]
# fmt: on


@pytest.mark.parametrize(("output", "expected"), CASES, ids=[repr(c[0][-40:]) for c in CASES])
def test_extraction(output, expected):
    assert extract_answer(output) == expected


def test_grade_reports_no_answer_and_extracted_text():
    verdicts = grade(
        [
            GradeItem(gold="4", output=r"<think>x</think> so \boxed{4}"),
            GradeItem(gold="4", output=LONG_REASONING + "and then"),
            GradeItem(gold=["1", "2"], output=r"\boxed{2} and \boxed{1}"),
        ],
        workers=1,
    )
    assert [v.equal for v in verdicts] == [True, None, True]
    assert verdicts[0].extracted == "4"
    assert verdicts[1].reason == "no answer" and verdicts[1].extracted is None
