"""Answer equivalence, one line per behaviour: (gold, prediction, expected verdict)."""

from __future__ import annotations

import pytest

from evalkit.grading import answer_key, check

# fmt: off
CASES = [
    # --- known false positives of other checkers: all must be rejected
    ("1/2004!",               r"\frac{1}{2006!}",            False),  # both underflow to 0.0 as floats
    (r"\frac{1}{2004!}",      r"\frac{1}{2004!}",            True),
    ("n=1,2,3",               "n=2,3,4",                     False),  # a list behind a name
    (r"\pm 2021",             "2021",                        False),  # \pm is two answers
    ("2021",                  r"\pm 2021",                   False),
    ("12:00",                 "1:00",                        False),  # clock times are not ratios
    ("1331 and 1728",         "1728",                        False),  # every gold element must be matched
    (["1331", "1728"],        "1728",                        False),  # multi-part gold (list form)
    ("1728",                  "1331, 1728",                  False),  # no extras
    # --- integers, decimals, thousands separators
    ("-5",                    "-5",                          True),
    ("0.4",                   ".4",                          True),
    ("5",                     "5.0",                         True),
    ("5",                     "5.001",                       False),
    ("1000",                  "1,000",                       True),
    ("10{,}000",              "10000",                       True),
    (r"3,\!250",              "3250",                        True),
    ("32349",                 "32, 349",                     False),  # a comma and a space: a list
    ("0,111",                 "0.111",                       True),   # decimal comma
    ("6290000",               "6287000",                     False),
    # --- fractions, mixed numbers, scientific notation
    (r"\frac{1}{2}",          "0.5",                         True),
    (r"\dfrac{17}{50}",       "17/50",                       True),
    (r"\frac43",              r"\frac{4}{3}",                True),
    (r"\frac{5}{13}",         "65/169",                      True),
    (r"\frac{3}{8}",          r"\frac{5}{16}",               False),
    (r"137 \frac{1}{2}",      "137.5",                       True),   # mixed number
    (r"1\frac{1}{10}",        r"1\frac{1}{9}",               False),
    (r"1.5\times 10^{3}",     "1500",                        True),   # scientific notation
    ("2.5e-3",                "0.0025",                      True),
    # --- rounding: without a question asking for an approximation, a decimal is not an exact gold
    # (tests/test_grading_classes.py has the cases where the question asks, and --numeric-tolerance)
    (r"\frac{\sqrt{3}}{2}",   "0.866",                       False),
    (r"40\pi",                "125.663",                     False),
    (r"\frac{\sqrt{3}}{2}",   "0.8",                         False),
    # --- radicals, pi, symbolic expressions, functions
    (r"2\sqrt{3}",            r"\sqrt{12}",                  True),
    (r"\sqrt{67}",            r"\sqrt{67},-\sqrt{85}",       False),
    (r"-\frac{\pi}{6}",       r"-\frac{\pi}{6}",             True),
    (r"\pi",                  r"\frac{\pi}{2}",              False),
    ("x^2+2x+1",              "(x+1)^2",                     True),
    ("x^2+2x+1",              "x^3+2x+1",                    False),
    (r"\cot x",               r"\csc x \cos x",              True),
    ("3",                     r"\frac{\log 8}{\log 2}",      True),
    # --- units, percent, degrees, currency, text
    (r"10\text{ cm}^2",       "10",                          True),
    ("1250",                  "1,250 dollars",               True),
    (r"\$6",                  "6",                           True),
    (r"28\%",                 "28 percent",                  True),
    (r"25\%",                 "0.25",                        True),   # percent as a fraction
    (r"25\%",                 "12.5",                        False),
    (r"\frac{3}{4}",          r"75\%",                       True),   # either side may carry the percent
    (r"30^\circ",             "30",                          True),
    (r"36^\circ",             r"72^\circ",                   False),
    (r"\sin(90^{\circ}-x)",   r"\cos x",                     True),
    (r"\text{Evelyn}",        "Evelyn",                      True),
    (r"\text{odd}",           "even",                        False),
    (r"\text{(C)}",           "C",                           True),
    (r"\mathrm{E}",           "D",                           False),
    # --- equations and assignments
    ("3",                     "x=3",                         True),
    ("y = 2x + 3",            "2x + 3",                      True),
    ("y = 2x + 3",            "y = 2x - 1",                  False),
    ("a + 3z = 0",            "0",                           False),  # a real equation is not an assignment
    ("x - 2y + z - 1 = 0",    "2x - 4y + 2z - 2 = 0",        True),   # same plane, scaled
    ("a_3 = 2, a_{37} = 19",  r"a_{37} = 19, \quad a_3 = 2", True),   # matched by name
    ("x=5",                   "x = 5 and x = 1",             False),
    ("p=5,q=2;p=7,q=2",       "(5,2),(7,2)",                 True),
    # --- inequalities and intervals
    (r"x \geq 5",             r"[5, \infty)",                True),
    ("x < 1",                 "-x > -1",                     True),
    ("x > 5",                 r"x \ge 5",                    False),
    ("-793 < a < 10",         "(-793, 10)",                  True),
    ("[0,1)",                 "[0,1)",                       True),
    ("(1,2)",                 "(1,2]",                       False),  # open vs closed end
    ("[1,2]",                 "[1,2)",                       False),
    (r"\{-1\} \cup [0,7)",    r"[0,7) \cup \{-1\}",          True),
    (r"(-\infty, -2) \cup (3, \infty)", r"x < -2 \text{ or } x > 3", True),
    # --- tuples, sets, "all solutions" lists
    ("(1,2)",                 "(1.0, 2.0)",                  True),
    ("(1,2)",                 "[1,2]",                       False),  # point vs interval
    ("(1,2)",                 "(2,1)",                       False),  # ordered
    ("(3,1)",                 r"\{1,3\}",                    False),  # tuple vs set
    ("(1,-16,-4,43)",         "1, -16, -4, 43",              True),
    ("-2,1",                  "1, -2",                       True),   # unordered solutions
    ("10, 4, 2",              "4, 12, 2",                    False),
    (r"7, -2, \text{ and } -5", "-5,-2,7",                   True),
    (r"3 \pm 2 \sqrt{2}",     r"3 + 2\sqrt{2}, 3 - 2\sqrt{2}", True),
    (r"\{1\pm\sqrt{5},-2\}",  r"-2, 1+\sqrt5, 1-\sqrt5",     True),
    (r"x = \frac{-1 \pm \sqrt{13}}{4}", r"\frac{-1+\sqrt{13}}{4}, \frac{-1-\sqrt{13}}{4}", True),
    # --- matrices and vectors
    (r"\begin{pmatrix}0&0\\0&1\end{pmatrix}", r"\begin{bmatrix} 0 & 0 \\ 0 & 1 \end{bmatrix}", True),
    (r"\begin{pmatrix}1&1/2\\1/3&4\end{pmatrix}", r"\begin{pmatrix}1&0.5\\1/3&4\end{pmatrix}", True),
    (r"\begin{pmatrix}-1&0\\0&-1\end{pmatrix}", r"\begin{pmatrix}1&0\\0&1\end{pmatrix}", False),
    (r"\begin{pmatrix} 16/49 \\ 48/49 \\ 24/49 \end{pmatrix}", r"\frac{8}{49} \begin{pmatrix} 2 \\ 6 \\ 3 \end{pmatrix}", True),
    (r"\begin{matrix} \frac12 \\ 1 \end{matrix}", "[0.5, 1]",   True),
    # --- complex numbers
    ("6 - 5i",                "-5i + 6",                     True),
    ("6 - 5i",                "6 + 5i",                      False),
    (r"e^{i\pi}",             "-1",                          True),   # i is the imaginary unit
    # --- clock times and bases
    ("20:34",                 r"08:34 \text{P.M.}",          True),
    (r"\text{4:30 p.m.}",     "4:30",                        True),
    ("2516_8",                "2516",                        True),
]
# fmt: on


@pytest.mark.parametrize(("gold", "pred", "expected"), CASES, ids=[f"{c[0]!s}|{c[1]}" for c in CASES])
def test_equivalence(gold, pred, expected):
    verdict = check(gold, pred)
    assert verdict.equal is expected, verdict.reason


def test_no_answer_is_undecided():
    verdict = check("5", None)
    assert verdict.equal is None and verdict.reason == "no answer"


@pytest.mark.parametrize(
    ("same", "different"),
    [
        ([r"\dfrac{1}{2}", r"$\frac12$", "1/2", "0.5", r"\boxed{\frac{1}{2}}"], "2"),
        (["x + 1", r"\left(x+1\right)", r"$x+1$"], "x+2"),
        ([r"\text{(B)}", "B", "(B)"], "C"),
    ],
)
def test_answer_key_groups_equivalent_simple_answers(same, different):
    keys = {answer_key(a) for a in same}
    assert len(keys) == 1
    assert answer_key(different) not in keys
