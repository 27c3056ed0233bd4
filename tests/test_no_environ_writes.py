"""Settings travel as arguments, never through os.environ: no library module writes the environment.

Allowed: process entry points, where the environment is the process's own set-up (a data-parallel
replica choosing its GPUs before torch loads)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import REPO

ENTRY_POINTS = {("evalkit/generate/dp.py", "_worker")}
WRITES = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _writes(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)] + [tree]:
        name = getattr(func, "name", "<module>")
        body = func.body if name != "<module>" else [n for n in tree.body if not isinstance(n, ast.FunctionDef)]
        for node in (n for stmt in body for n in ast.walk(stmt)):
            target = None
            if isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
                targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
                target = next((t for t in targets if isinstance(t, ast.Subscript) and _is_environ(t.value)), None)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in WRITES and _is_environ(node.func.value):
                    target = node
                if node.func.attr in ("putenv", "unsetenv"):
                    target = node
            if target is not None:
                found.append((node.lineno, name))
    return found


def test_no_module_writes_os_environ():
    offenders = []
    for folder in ("evalkit", "training", "tasks", "sandbox"):
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            offenders += [f"{rel}:{line} in {func}" for line, func in _writes(path)
                          if (rel, func) not in ENTRY_POINTS and rel not in ("evalkit/cli.py", "evalkit/__main__.py")]
    assert offenders == []
