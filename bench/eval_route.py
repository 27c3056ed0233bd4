"""The route an `evalkit eval` configuration takes through the code: which files it crosses, and how
often it climbs back up a layer.

It runs `evalkit eval` in-process on a tiny random model (hf backend, the 6-problem selftest task, 4
tokens) and follows the configuration: `cfg` as `run_eval` receives it, its parts (fields, items) and
whatever a followed call returns or builds (`self` of a followed constructor), like a path inside a
followed folder. A call is on the route when one of its arguments is followed and every frame between
it and `run_eval` is the project's (callbacks from inside lm-eval, such as the backend generating or
the filters grading, are lm-eval's route). The files entered, in order, are the route. Layers come from
the imports: a folder such as `evalkit/generate/` is one room (a top-level module is its own), and a
room's floor is one above the highest room it imports. A climb back up is a move along the route to a
room on a higher floor; a call from a lower floor to a higher one would be an import (or a callback)
running up.

Usage: python bench/eval_route.py [--tree DIR]
DIR: another checkout of evalkit (e.g. `git worktree add /tmp/before 29e20c9`), to measure it the
same way; its own code runs, with this checkout only building the tiny model.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("evalkit", "sandbox", "training", "tasks")

# runs in the measured tree: evalkit eval under a profiler that keeps the calls made from run_eval
TRACER = r"""
import dataclasses, json, sys, types
from pathlib import Path, PurePath
root = Path.cwd().resolve()
mine = tuple(str(root / p) + "/" for p in {packages!r})
INLINE = {{"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}}  # comprehensions: code of the caller
ATOMS = (bytes, int, float, bool, type(None), type, types.ModuleType, types.FunctionType)  # not followed: shared values
held, tracked, paths = [], set(), []  # `held` keeps what is followed alive, so ids stay unique
calls, following = [], set()

def track(obj, depth=2):
    # the config, a value some call made of it, and their parts (fields, items) are followed
    if isinstance(obj, ATOMS) or id(obj) in tracked:
        return
    tracked.add(id(obj))
    held.append(obj)
    if isinstance(obj, PurePath):
        paths.append(str(obj))
    if depth == 0:
        return
    if dataclasses.is_dataclass(obj):
        parts = [getattr(obj, f.name) for f in dataclasses.fields(obj)]
    elif isinstance(obj, dict):
        parts = list(obj.values())
    elif isinstance(obj, (list, tuple, set)):
        parts = list(obj)
    else:
        parts = []
    for part in parts:
        track(part, depth - 1)

def followed(value):
    if isinstance(value, types.MethodType):
        value = value.__self__
    if isinstance(value, PurePath):  # a followed path, or a file in a followed folder
        return any(str(value) == p or str(value).startswith(p + "/") for p in paths)
    if isinstance(value, (list, tuple)) and not dataclasses.is_dataclass(value):
        return id(value) in tracked or any(followed(v) for v in value)
    return not isinstance(value, ATOMS) and id(value) in tracked

def project(frame):
    return frame.f_code.co_filename.startswith(mine)

def rel(frame):
    return str(Path(frame.f_code.co_filename).relative_to(root))

def on_event(frame, event, arg):
    if event == "return" and frame in following:
        following.discard(frame)
        track(arg)
        if "self" in frame.f_locals:
            track(frame.f_locals["self"])
        return
    if event != "call" or not project(frame) or frame.f_code.co_name in INLINE:
        return
    if frame.f_code.co_name == "run_eval" and frame.f_code.co_filename.endswith("evaluate.py"):
        track(frame.f_locals["cfg"], depth=3)
        calls.append((None, rel(frame)))
        return
    back = frame.f_back
    while back is not None and project(back):
        if back.f_code.co_name == "run_eval" and back.f_code.co_filename.endswith("evaluate.py"):
            code = frame.f_code
            count = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 4) + bool(code.co_flags & 8)
            values = [frame.f_locals.get(name) for name in code.co_varnames[:count]]
            values += [v for d in values if isinstance(d, dict) for v in d.values()]  # **kwargs
            if any(followed(v) for v in values):
                caller = frame.f_back
                while caller.f_code.co_name in INLINE:
                    caller = caller.f_back
                calls.append((rel(caller), rel(frame)))
                following.add(frame)
            return
        back = back.f_back

from evalkit.cli import main
sys.argv = ["evalkit"] + {argv!r}
sys.setprofile(on_event)
try:
    main()
except SystemExit as stop:
    if stop.code:
        raise
finally:
    sys.setprofile(None)
    Path({out!r}).write_text(json.dumps(calls))
"""


def room(path: str) -> str:
    """`evalkit/generate/x.py` -> `evalkit/generate/`; `evalkit/io.py` stays; sandbox/, training/, tasks/ whole."""
    parts = path.split("/")
    if parts[0] != "evalkit":
        return parts[0] + "/"
    return "/".join(parts[:2]) + "/" if len(parts) > 2 else path


def imports(tree: Path) -> dict[str, set[str]]:
    """room -> the rooms its files import. Imports inside functions count too, except one that would
    close a loop (such as evalkit/data's lazy import of a constant from evalkit/lmeval): that one is an
    arrow back up, not a layer."""
    modules = {}
    for pkg in PACKAGES:
        for path in (tree / pkg).rglob("*.py"):
            rel = path.relative_to(tree).as_posix()
            modules[rel[:-3].replace("/", ".").removesuffix(".__init__")] = rel
    top: dict[str, set[str]] = {room(rel): set() for rel in modules.values()}
    lazy: list[tuple[str, str]] = []
    for name, rel in modules.items():
        here = room(rel)
        package = name if rel.endswith("__init__.py") else name.rpartition(".")[0]
        module = ast.parse((tree / rel).read_text(encoding="utf-8"))
        at_top = {id(node) for node in module.body}
        for node in ast.walk(module):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and room(modules[target]) != here:
                    if id(node) in at_top:
                        top[here].add(room(modules[target]))
                    else:
                        lazy.append((here, room(modules[target])))

    def reaches(a: str, b: str) -> bool:
        todo, seen = [a], set()
        while todo:
            r = todo.pop()
            if r == b:
                return True
            if r not in seen:
                seen.add(r)
                todo.extend(top.get(r, ()))
        return False

    for here, there in lazy:
        if not reaches(there, here):
            top[here].add(there)
    return top


def floors(graph: dict[str, set[str]]) -> dict[str, int]:
    """floor 1: imports no room; else one above the highest room it imports."""

    @cache
    def floor(r: str) -> int:
        return 1 + max((floor(d) for d in graph.get(r, ())), default=0)

    return {r: floor(r) for r in graph}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", type=Path, default=REPO, help="checkout to measure (default: this one)")
    args = ap.parse_args()
    tree = args.tree.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-route-"))
    sys.path.insert(0, str(REPO))
    from evalkit.tiny_model import build_tiny_eval_model

    model = build_tiny_eval_model(tmp / "model")
    argv = ["eval", "--model", str(model), "--tasks", "evalkit_selftest", "--backend", "hf", "--preset", "greedy",
            "--n", "1", "--max-tokens", "4", "--include-path", str(tree / "tests/fixtures/eval_tasks"),
            "--output", str(tmp / "run"), "--quiet"]
    out = tmp / "route.json"
    code = TRACER.format(packages=PACKAGES, argv=argv, out=str(out))
    env = os.environ | {"PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    calls = json.loads(out.read_text())
    level = floors(imports(tree))
    route = [callee for i, (_caller, callee) in enumerate(calls) if i == 0 or callee != calls[i - 1][1]]
    up_calls = [(a, b) for a, b in calls if a and room(a) != room(b) and level[room(b)] > level[room(a)]]
    print(f"route of the evaluation config from run_eval, in {tree}:")
    climbs = 0
    for i, path in enumerate(route):
        up = i > 0 and level[room(path)] > level[room(route[i - 1])]
        climbs += up
        print(f"  floor {level[room(path)]:2d}  {path}{'   <- climbs back up' if up else ''}")
    for caller, callee in sorted(set(up_calls)):
        print(f"  a call from a lower floor to a higher one: {caller} -> {callee}")
    print(f"{len(set(route))} files, {climbs} climbs back up; {len(set(up_calls))} calls from a lower floor to a higher one")

if __name__ == "__main__":
    main()
