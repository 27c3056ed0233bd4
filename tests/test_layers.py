"""The house's imports point one way: no module of evalkit/, training/ or sandbox/ reaches itself again
through its imports, lazy ones inside functions included (a loop is how an import climbs back up)."""

from __future__ import annotations

import ast

import pytest
from support import REPO

PACKAGES = ("evalkit", "training", "sandbox")


def _modules() -> dict[str, ast.Module]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


def _target(name: str, modules: dict) -> str | None:
    """The module an import runs: the longest dotted prefix that is one of ours."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports(modules: dict[str, ast.Module]) -> dict[str, set[str]]:
    faces = {m for m in modules if (REPO / m.replace(".", "/") / "__init__.py").is_file()}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, tree in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names]  # a submodule, or a name in the module
            else:
                continue
            for full in names:
                target = _target(full, modules)
                # a package's face hands names on: `from evalkit.rundir import manifest` inside rundir is no loop
                if target and target != name and not (name.startswith(target + ".") and target in faces):
                    edges[name].add(target)
    return edges


def find_loop(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (loop := visit(nxt)):
                return loop
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (loop := visit(node)):
            return loop
    return None


def test_no_module_reaches_itself_through_its_imports():
    assert find_loop(imports(_modules())) is None


# Lower layers never import the layers that use them (docs/architecture.md, "Arrows point down").
NEVER = [
    (("evalkit.data", "evalkit.grading", "evalkit.generate", "evalkit.io", "sandbox", "training"),
     ("evalkit.lmeval", "evalkit.evaluate", "evalkit.rundir", "evalkit.study", "evalkit.report", "evalkit.compare",
      "evalkit.leaderboard", "evalkit.commands", "evalkit.cli")),
    (("evalkit.rundir",), ("evalkit.generate", "evalkit.data", "evalkit.lmeval", "evalkit.evaluate", "evalkit.commands")),
    (("evalkit", "training", "sandbox"), ("evalkit.commands", "evalkit.cli")),
]


@pytest.mark.parametrize(("lower", "higher"), NEVER)
def test_lower_layers_do_not_import_higher_ones(lower, higher):
    def within(name: str, roots: tuple[str, ...]) -> bool:
        return any(name == r or name.startswith(r + ".") for r in roots)

    commands = ("evalkit.commands", "evalkit.cli", "evalkit.__main__")
    bad = sorted(f"{a} -> {b}" for a, targets in imports(_modules()).items() for b in targets
                 if within(a, lower) and not within(a, commands) and within(b, higher) and not within(a, higher))
    assert bad == []


@pytest.mark.parametrize(("edges", "loop"), [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
    ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
])
def test_the_loop_finder_finds_loops(edges, loop):
    assert find_loop(edges) == loop
