"""Where a sandboxed test's time goes: CPU per test with one piece of the per-test world left out.

One warm sandbox judges a trivial program; the CPU of everything inside it (the serving process's
own plus every reaped child's, from /proc/PID/stat) and the judge's own are divided by the tests run. Each
variant runs a copy of sandbox/server.py with one piece changed (a new network namespace for
every test, no check of the reused one, no mount namespace, standard streams made in each test, no
capability drop, no per-test seccomp filter), for measurement only, interleaved in rounds so that load from
other users hits them alike. The difference to "as is" is what that piece costs.

    PYTHONPATH=. python bench/sandbox_profile.py [--rounds 3] [--tests 80]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import sandbox.session as session_module
from sandbox import Limits, judge
from sandbox.procfs import cpu_of

PROGRAM = "print(sum(map(int, open(0).read().split()[1:])))\n"
TEST = {"input": "3\n1 2 3\n", "output": "6\n"}


def variants(base: str) -> dict[str, bytes]:
    cut = {
        "new network ns every test": [("        if net is None or not net.as_new():", "        if True:")],
        "no network check": [("        if net is None or not net.as_new():", "        if net is None:")],
        "no mount namespace": [
            ('    check(libc.unshare(CLONE_NEWNS), "unshare mount")\n', ""),
            ('    for target in (b"/tmp", b"/dev/shm"):\n        mount(b"tmpfs", target, b"tmpfs", MS_NOSUID | MS_NODEV, options)\n', ""),
            ('    mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)\n', "")],
        "stdio made in each test": [('    launcher["prepare_stdio"]()  # its standard streams\n', "")],
        "no capability drop": [("    drop_capabilities()\n", "")],
        "no world filter": [("    install_seccomp(world_prog)\n", "")],
    }
    out = {"as is": base.encode()}
    for name, edits in cut.items():
        src = base
        for old, new in edits:
            if old not in src:
                raise SystemExit(f"bench/sandbox_profile.py: sandbox/server.py no longer has {old.strip()!r}; "
                                 f"update the {name!r} variant.")
            src = src.replace(old, new, 1)  # the first: the test's process (sandbox/server.py `test_process`)
        out[name] = src.encode()
    return out


def own_processes(session: session_module.Session) -> list[int]:
    """The sandbox's own processes (`Session.own_processes`); the tests' are reaped into the zygote's cutime."""
    time.sleep(0.2)  # the test processes of the warm-up ended and were reaped
    return session.own_processes()


def cpu(pids: list[int]) -> float:
    return sum(cpu_of(pid) for pid in pids)


def faults(pids: list[int]) -> tuple[int, int]:
    """(page faults of the server and zygote themselves, of the tests' processes reaped by them)."""
    own = reaped = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        own, reaped = own + int(fields[7]), reaped + int(fields[8])  # minflt, cminflt
    return own, reaped


def judge_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tests", type=int, default=80, help="tests per variant per round (20 per judged program)")
    args = ap.parse_args()
    rows: dict[str, list[tuple[float, float, float, float, float]]] = {}
    servers = variants(session_module.server_source().decode())
    for _ in range(args.rounds):
        for name, source in servers.items():
            session_module.server_source = lambda source=source: source  # this variant's server
            session = session_module.Session(Limits())
            try:
                judge(PROGRAM, [TEST], session=session)  # warm
                mine = own_processes(session)
                cpu0, own0, t0, (flt0, cflt0) = cpu(mine), judge_cpu(), time.perf_counter(), faults(mine)
                for _ in range(max(1, args.tests // 20)):
                    assert judge(PROGRAM, [TEST] * 20, session=session).verdict == "AC"
                n = max(1, args.tests // 20) * 20
                flt1, cflt1 = faults(mine)
                rows.setdefault(name, []).append(((cpu(mine) - cpu0) / n * 1e3, (judge_cpu() - own0) / n * 1e3,
                                                  (time.perf_counter() - t0) / n * 1e3, (flt1 - flt0) / n,
                                                  (cflt1 - cflt0) / n))
            finally:
                session.close()
    print(f"{args.rounds} rounds x {args.tests} tests per variant; medians per test")
    print(f"{'variant':22s} {'sandbox CPU':>12s} {'judge CPU':>10s} {'wall':>9s} {'faults (server+zygote / tests)':>31s}")
    for name, xs in rows.items():
        med = [statistics.median(x[i] for x in xs) for i in range(5)]
        print(f"{name:22s} {med[0]:9.2f} ms {med[1]:7.2f} ms {med[2]:6.2f} ms {med[3]:12.0f} / {med[4]:.0f}")


if __name__ == "__main__":
    main()
