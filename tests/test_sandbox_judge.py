"""Judging: honest controls are accepted, `lcb` mode follows LCB_RULES.md rule by rule (a table),
call-based results are compared as plain data, and the runner's own limits give the right verdicts.

Controls and the programs here are harmless; they still run only through the sandbox.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from sandbox.compare import call_equal, decode_call_result, stdio_equal
from sandbox.judge import BadTests, judge
from sandbox.limits import Limits

SHARED = Path(os.environ.get("EVALKIT_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
CONTROLS = SHARED / "sandbox" / "controls"
LIMITS = Limits(timeout_s=4.0, memory_mb=512)
SUM = [{"input": "3\n1 2 3\n", "output": "6\n"}, {"input": "4\n17 9 1000003 -5\n", "output": "1000024\n"}]
ADD = [{"input": "1\n2", "output": "3"}, {"input": "5\n6", "output": "11"}]


def _control_tests(name: str) -> list[dict]:
    if name.startswith("c09"):
        return [{"input": "1 3\n", "output": "0.3333333333\n"}]
    if name.startswith("c11"):
        old = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
        try:
            return [{"input": "20000\n", "output": str(3**20000) + "\n"}]
        finally:
            sys.set_int_max_str_digits(old)
    return SUM


CONTROL_FILES = sorted(p.name for p in CONTROLS.glob("c*.py")) if CONTROLS.is_dir() else ["missing"]


@pytest.mark.parametrize("name", CONTROL_FILES)
def test_control_is_accepted(name):
    assert CONTROLS.is_dir(), f"controls not found at {CONTROLS}; set EVALKIT_SHARED_DIR"
    mode = "tolerant" if name.startswith("c09") else "lcb"  # c09 is AC only with a tolerance
    result = judge((CONTROLS / name).read_text(), _control_tests(name), mode=mode, limits=LIMITS)
    assert result.verdict == "AC", [t.detail for t in result.tests]


def test_c09_is_wrong_in_lcb_mode():
    result = judge((CONTROLS / "c09_float_tolerance.py").read_text(), _control_tests("c09"), limits=LIMITS)
    assert result.verdict == "WA"


# LCB_RULES.md, standard-input problems: (program output, expected, lcb verdict, tolerant verdict)
STDIO_RULES = [
    ("6\n", "6", True, True),                      # whole-string strip
    ("\n\n6\n\n", "6\n", True, True),              # blank lines at start/end do not matter
    ("1\n\n2\n", "1\n2\n", False, False),          # blank lines in the middle do
    ("", "\n", True, True),                        # empty output is one empty line
    ("1\r\n2\r\n", "1\n2\n", True, True),          # \r\n is harmless
    ("  a b  \n", "a b", True, True),              # each line is stripped
    ("1\n2\n", "1\n", False, False),               # different line counts
    ("2.0", "2", True, True),                      # numbers compare by value
    ("+2 2e0 2E+0 2.000", "2 2 2 2", True, True),  # sign, exponent, trailing zeros
    ("-0", "0", True, True),                       # -0 equals 0
    ("1_000", "1000", True, True),                 # Decimal accepts underscores
    ("0.33333333", "0.3333333333", False, True),   # no tolerance in lcb
    ("Infinity", "inf", True, True),               # special values, case-insensitive
    ("NaN", "NaN", True, True),                    # identical spelling passes as a string
    ("nan", "NaN", False, False),                  # NaN never equals numerically
    ("yes", "YES", False, False),                  # words are case-sensitive
    ("a  b", "a b", False, False),                 # internal spacing matters for words
    ("1    2", "1 2", True, True),                 # but not when every token is numeric
    ("Case #1: 2.0", "Case #1: 2", False, False),  # mixed lines match character for character
    ("1 2", "1 2 3", False, False),                # token counts must agree
    ("0.3000001", "0.3", False, True),             # tolerant: 1e-6 relative/absolute
    ("0.31", "0.3", False, False),                 # but no more
    ("1000000999999", "1000000000000", False, False),  # tolerant: integers compare exactly
    ("-7", "-8", False, False),
    ("1000000.0000001", "1000000", False, True),   # a fraction on either side: tolerance applies
    ("1e12", "1000000999999", False, True),        # so does an exponent
    ("1 2 x", "1  2 x", False, False),             # one word makes the whole line a string
    ("nan 1", "nan  1", False, False),             # NaN is not equal to itself by value
    (" \n\u00a0\n6\n\u2003\n", "6", True, True),   # Unicode blank lines at the ends are stripped too
    ("6\n \n7", "6\n\n7", True, True),              # a blank middle line is an empty line
    ("1 " * 70000 + "2", "1  " * 70000 + "2", True, True),  # long lines, walked in blocks
    ("1.0 " * 70000 + "2", "1 " * 70000 + "2", True, True),
    ("1 " * 70000 + "2", "1 " * 70000 + "3", False, False),
]


@pytest.mark.parametrize(("output", "expected", "lcb", "tolerant"), STDIO_RULES)
def test_stdio_rules(output, expected, lcb, tolerant):
    for got in (output, output.encode()):  # the judge passes the program's bytes as they came
        assert stdio_equal(got, expected, "lcb") is lcb
        assert stdio_equal(got, expected, "tolerant") is tolerant


# Call-based: (harness message, expected JSON, lcb verdict)
CALL_RULES = [
    ({"value": 1, "special": []}, "1.0", True),                               # 1 == 1.0
    ({"value": True, "special": []}, "1", True),                              # True == 1
    ({"value": 0.30000000000000004, "special": []}, "0.3", False),            # floats exact
    ({"value": [1, 2], "special": []}, "[1, 2]", True),                        # top-level tuple -> list
    ({"value": [[1, 2]], "special": [[[0], "tuple", None]]}, "[[1, 2]]", False),  # nested tuple != list
    ({"value": {"1": 2}, "special": []}, '{"1": 2}', True),                    # str keys match
    ({"value": None, "special": [[[], "opaque", "dict"]]}, '{"1": 2}', False),  # int keys never match
    ({"value": None, "special": [[[], "opaque", "set"]]}, "[1]", False),       # sets never equal lists
    ({"value": None, "special": [[[], "opaque", "ndarray"]]}, "[1]", False),   # arrays are not data
    ({"value": None, "special": [[[], "float", "nan"]]}, "NaN", False),        # NaN equals nothing
]
TOLERANT_CALL_RULES = [
    (10**12 + 999999, 10**12, False),   # integers exact, even in tolerant mode
    (1.0000001, 1, True),               # a float on either side: tolerance
    ([1, 2.0000001], [1, 2], True),
]


@pytest.mark.parametrize(("value", "expected", "equal"), TOLERANT_CALL_RULES)
def test_tolerant_call_rules(value, expected, equal):
    assert call_equal(value, expected, "tolerant") is equal


@pytest.mark.parametrize(("message", "expected", "equal"), CALL_RULES)
def test_call_rules(message, expected, equal):
    import json

    assert call_equal(decode_call_result(message), json.loads(expected), "lcb") is equal


CALL_PROGRAMS = [
    ("class Solution:\n    def addTwo(self, a: int, b: int) -> int:\n        return a + b\n", "AC"),
    ("def addTwo(a, b):\n    return a + b\n", "AC"),                                  # module-level function
    ("class Solution:\n    def addTwo(self, a, b):\n        print('debug'); return (a + b,)\n", "WA"),
    ("class Solution:\n    def addTwo(self, a, b):\n        return float(a + b)\n", "AC"),
    ("class Solution:\n    def addTwo(self, a, b):\n        return {a + b}\n", "WA"),
    ("class Solution:\n    def addTwo(self, a, b):\n        raise ValueError('no')\n", "RE"),
    ("class Solution:\n    def other(self, a, b):\n        return a + b\n", "RE"),  # missing method
    ("class Solution:\n    def addTwo(self, a, b) return a + b\n", "RE"),          # does not compile
    ("import os\nclass Solution:\n    def addTwo(self, a, b):\n        os.write(1, b'3'); return 0\n", "WA"),
]


@pytest.mark.parametrize(("program", "verdict"), CALL_PROGRAMS)
def test_call_based_programs(program, verdict):
    assert judge(program, ADD, fn_name="addTwo", limits=LIMITS).verdict == verdict


STDIO_PROGRAMS = [
    ("import sys\nprint(6)\nsys.exit(3)", "WA"),              # SystemExit: output so far is compared
    ("print(6)\nraise SystemExit('bye')", "AC"),
    ("print(6)\nraise RuntimeError", "RE"),                   # exit status 0 is needed...
    ("import os\nos._exit(0)", "WA"),                         # ...and never enough
    ("x = bytearray(900 << 20)\nprint(6)", "MLE"),
    ("import time\ntime.sleep(30)", "TLE"),
    # a test's process ends as a new interpreter would: non-daemon threads joined, atexit run, output flushed
    ("import threading, time\nthreading.Thread(target=lambda: (time.sleep(0.1), print(6))).start()", "AC"),
    ("import atexit\natexit.register(print, 6)", "AC"),
    ("import sys\nsys.stdout.write('6')", "AC"),
]


@pytest.mark.parametrize(("program", "verdict"), STDIO_PROGRAMS)
def test_stdio_verdicts(program, verdict):
    limits = Limits(timeout_s=1.0, memory_mb=512)
    assert judge(program, SUM[:1] if verdict != "WA" else SUM[1:], limits=limits).verdict == verdict


def test_prelude_names_are_bound_like_lcb():
    program = "n = int(input())\nxs: List[int] = list(map(int, input().split()))\nprint(reduce(add, xs))"
    assert judge(program, SUM, limits=LIMITS).verdict == "AC"


def test_per_test_entries_and_stop_at_first_failure():
    program = "n = int(input())\nprint(6)"
    result = judge(program, SUM + SUM, limits=LIMITS)
    assert result.verdict == "WA"
    assert [t.verdict for t in result.tests] == ["AC", "WA"]  # stopped at the first failure
    assert all(t.time_s > 0 and t.memory_mb > 0 for t in result.tests)


def test_bad_tests_are_the_callers_error():
    with pytest.raises(BadTests):
        judge("print(1)", [{"input": "1"}])
    with pytest.raises(BadTests):
        judge("def f(a): return a", [{"input": "not json", "output": "1"}], fn_name="f")
    with pytest.raises(BadTests):
        judge("print(1)", SUM, mode="fuzzy")
    for name in ("f\0g", "f g", "1f", 7):  # a function name that no program can define is the tests' error
        with pytest.raises(BadTests, match="not a Python identifier"):
            judge("def f(a): return a", [{"input": "1", "output": "1"}], fn_name=name)


def test_a_call_based_program_gets_its_argv_whole():
    """The launcher's arguments reach the test's process NUL-separated: the mode, the limits, every
    prelude name the program mentions (one missing is a NameError) and the function's name arrive whole."""
    names = "List, Optional, Counter, defaultdict, deque, heappush, bisect_left, gcd, inf, accumulate, reduce"
    program = f"class Solution:\n    def long_function_name_here(self, a):\n        return len(({names})) * a\n"
    tests = [{"input": "2", "output": "22"}]
    assert judge(program, tests, fn_name="long_function_name_here", limits=LIMITS).verdict == "AC"


def test_a_test_process_holds_only_its_standard_streams_and_reads_stdin_raw():
    """Each test's process is forked from the sandbox's server: none of the server's descriptors (its
    control socket above all) may reach the program, and stdin keeps '\\r' as a new interpreter's does."""
    fds = "import os\nprint(' '.join(sorted(os.listdir('/proc/self/fd'), key=int)))"
    assert judge(fds, [{"input": "", "output": "0 1 2 3"}], limits=LIMITS).verdict == "AC"  # 3: listdir's own
    raw = "import sys\nprint(len(sys.stdin.readline()), sys.stdin.encoding)"
    assert judge(raw, [{"input": "ab\r\n", "output": "4 utf-8"}], limits=LIMITS).verdict == "AC"


STREAMS = ("import sys\n"
           "print(*[(s.name, s.encoding, s.errors, s.line_buffering, s.seekable(), s.isatty(), s.buffer.raw._blksize)\n"
           "        for s in (sys.stdin, sys.stdout, sys.stderr)], sep='\\n')\n")


def test_standard_streams_are_a_new_interpreters_on_pipes():
    """The sandbox makes each test's standard streams once, ahead of the test (sandbox/launcher.py
    `prepare_stdio`): they must be what `python3` itself makes when its fds 0-2 are pipes, as they are
    for every test (name, encoding, error handlers, buffering, not seekable, no terminal)."""
    import subprocess

    from sandbox.isolation import ENV_ALLOW, sandbox_python

    new = subprocess.run([sandbox_python(), "-I", "-c", STREAMS], input=b"", capture_output=True,
                         env=dict(ENV_ALLOW), check=True).stdout.decode()
    for _ in range(2):  # the streams of a later test's process too
        result = judge(STREAMS, [{"input": "", "output": new}], limits=LIMITS, keep_output=True)
        assert result.verdict == "AC", (new, result.tests[0].stdout)


def test_a_program_has_no_capability_and_no_new_privileges():
    """The server keeps a few capabilities to build each test's world; the program must have none
    in any set (bounding and ambient included), with no_new_privs and a seccomp filter on. The
    second test runs in a test process made after the first one's: the same must hold again."""
    program = ("fields = dict(line.split(':', 1) for line in open('/proc/self/status'))\n"
               "print(*(fields[k].strip() for k in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp')))")
    expected = "0000000000000000 " * 5 + "1 2"
    result = judge(program, [{"input": "", "output": expected}] * 2, limits=LIMITS, keep_output=True)
    assert [t.verdict for t in result.tests] == ["AC", "AC"], [t.stdout for t in result.tests]


def test_a_large_call_based_result_is_checked_and_judged():
    """Over 64 KiB, the server checks a call-based result in a child of its own (under the test's
    memory limit) and hands it on a pipe, not in its report: a correct large result is still AC
    (every byte arrived), a wrong one WA."""
    program = "class Solution:\n    def upTo(self, n):\n        return list(range(n))\n"
    n = 30000  # about 170 KiB of JSON
    right = judge(program, [{"input": str(n), "output": str(list(range(n)))}], fn_name="upTo", limits=LIMITS)
    wrong = judge(program, [{"input": str(n), "output": str(list(range(1, n + 1)))}], fn_name="upTo", limits=LIMITS)
    assert (right.verdict, wrong.verdict) == ("AC", "WA"), (right.tests, wrong.tests)


def test_input_and_output_larger_than_a_pipe_arrive_whole():
    """Stdin goes into its pipe before the test starts as far as it fits, the rest as the program
    reads; 3 MiB in and out, and a short input after it, are all judged on every byte."""
    program = "import sys\ndata = sys.stdin.read()\nprint(len(data), data.count('7'))\nprint(data[-20:])"
    big = "7" * (3 << 20)
    tests = [{"input": big, "output": f"{len(big)} {len(big)}\n{big[-20:]}"}, {"input": "17", "output": "2 1\n17"}]
    assert [t.verdict for t in judge(program, tests, limits=LIMITS).tests] == ["AC", "AC"]
    echo = "import sys\nsys.stdout.write(sys.stdin.read())"
    assert judge(echo, [{"input": big, "output": big}], limits=LIMITS).verdict == "AC"


def test_output_just_over_the_cap_then_exit_is_ole_never_se():
    """The last chunk over the cap and the server's report can wake the supervisor together: the
    kill for the output must not turn the report it then cannot read into the runner's fault."""
    limits = Limits(timeout_s=4.0, memory_mb=512, output_mb=1)
    program = "import sys\nsys.stdout.write('x' * ((1 << 20) + 5000))\n"
    result = judge(program, [{"input": "", "output": ""}] * 6, limits=limits, stop_at_first_failure=False)
    assert [t.verdict for t in result.tests] == ["OLE"] * 6, [t.detail for t in result.tests]


def test_nothing_survives_from_one_test_to_the_next():
    """Tests share one warm sandbox: a background child and files left by test 1 must be gone."""
    program = (
        "import os, sys, time\n"
        "seen = [p for p in ('/tmp/mark', '/dev/shm/mark') if os.path.exists(p)]\n"
        "print('leak' if seen else 'ok')\n"
        "sys.stdout.flush()\n"
        "open('/tmp/mark', 'w').close(); open('/dev/shm/mark', 'w').close()\n"
        "if os.fork() == 0:\n"
        "    os.setsid(); time.sleep(0.3); open('/tmp/mark', 'w').close(); os._exit(0)\n"
    )
    result = judge(program, [{"input": "", "output": "ok"}] * 3, limits=LIMITS)
    assert [t.verdict for t in result.tests] == ["AC", "AC", "AC"]


def test_judge_many_gives_a_malformed_item_its_own_verdict():
    """Class 9: one program's malformed tests cost that program alone, not the batch."""
    from sandbox import Job, judge_many

    good = "print(sum(map(int, open(0).read().split()[1:])))\n"
    jobs = [Job(good, SUM), Job(good, [{"input": "1"}]), Job("def f(a): return a", [{"input": "x", "output": "1"}], "f"),
            Job(good, SUM)]
    results = judge_many(jobs, limits=LIMITS, workers=1, progress=False)
    assert [r.verdict for r in results] == ["AC", "SE", "SE", "AC"]
    assert "malformed tests" in results[1].tests[0].detail and "test 0" in results[1].tests[0].detail


def test_tolerant_stdio_integers_are_exact_end_to_end():
    program = "print(1000000000000 + 999999)"
    tests = [{"input": "", "output": "1000000000000\n"}]
    assert judge(program, tests, mode="tolerant", limits=LIMITS).verdict == "WA"


def test_the_unsafe_runner_judges_our_own_code_with_the_same_limits():
    """`Limits.unsafe_no_sandbox`: no walls, the same verdicts (only honest code of ours here)."""
    unsafe = Limits(timeout_s=0.5, memory_mb=512, unsafe_no_sandbox=True)
    assert judge("print(sum(map(int, open(0).read().split()[1:])))", SUM, limits=unsafe).verdict == "AC"
    assert judge("def addTwo(a, b):\n    return a + b\n", ADD, fn_name="addTwo", limits=unsafe).verdict == "AC"
    slept = judge("import time\ntime.sleep(10)", SUM[:1], limits=unsafe)
    assert slept.verdict == "TLE" and "wall-clock backstop" in slept.tests[0].detail


def test_a_test_process_has_the_signal_handling_of_a_new_interpreter():
    """Broken pipes raise BrokenPipeError (SIGPIPE ignored), SIGINT raises KeyboardInterrupt."""
    program = ("import os, signal, sys\n"
               "r, w = os.pipe(); os.close(r)\n"
               "try:\n    os.write(w, b'x')\nexcept BrokenPipeError:\n    print('pipe')\n"
               "try:\n    os.kill(os.getpid(), signal.SIGINT)\nexcept KeyboardInterrupt:\n    print('int')\n")
    assert judge(program, [{"input": "", "output": "pipe\nint"}], limits=LIMITS).verdict == "AC"


def test_prelude_modules_are_shared_but_random_state_is_each_tests_own():
    """The server imports the prelude's modules once and forks every test from itself: a program that
    uses `random` must still get a fresh seed per test, as a new interpreter would."""
    from sandbox.prelude import prelude_arg
    from sandbox.session import Session, sealed_program

    program = "print(random.getrandbits(64), 'statistics' in sys.modules)"
    session, fd = Session(LIMITS), sealed_program(program)
    try:
        outs = [session.run(fd, b"", ["stdio", prelude_arg(program)]).stdout for _ in range(3)]
    finally:
        session.close()
        os.close(fd)
    assert all(out.endswith(b" True\n") for out in outs), outs  # loaded before the program asked
    assert len(set(outs)) == 3, outs


def test_a_programs_own_forks_reseed_random_as_in_a_new_interpreter():
    """The zygote reseeds `random` before it forks a test's process (the at-fork hook is not run
    there); a child the program forks itself must still get a fresh seed, as in any interpreter."""
    program = ("import os, random\nr, w = os.pipe()\n"
               "if os.fork() == 0:\n    os.write(w, repr(random.random()).encode())\n    os._exit(0)\n"
               "os.wait()\nprint(os.read(r, 64).decode() != repr(random.random()))\n")
    assert judge(program, [{"input": "", "output": "True"}] * 2, limits=LIMITS).verdict == "AC"
