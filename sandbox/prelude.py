"""LiveCodeBench's prelude, resolved lazily: only the names a program mentions are bound for it.

Official LCB prepends `from string import *` ... `from typing import *` and `import math` ... to every
program, so solutions that use `List`, `gcd` or `Counter` without importing them still run.
Importing all of those modules costs more than starting Python, so the judge (outside the
sandbox) maps each name the program's text mentions to the module LCB would have bound it from,
and the launcher imports just those.
"""

from __future__ import annotations

import importlib
import re
from functools import cache

# In LCB's order: a later `from X import *` rebinds names of earlier ones.
STAR_MODULES = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
                "statistics", "itertools", "functools", "operator", "io", "sys", "json", "builtins", "typing")
PLAIN_MODULES = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
                 "statistics", "itertools", "functools", "operator", "io", "sys", "json")
# What the launcher needs to print an uncaught exception (3.11's traceback imports ast for the carets):
# importing them in a failing test cost 4-5 ms, more than the rest of the test.
TRACEBACK_MODULES = ("traceback", "linecache", "tokenize", "ast")
PRELOADED = tuple(m for m in dict.fromkeys(STAR_MODULES + PLAIN_MODULES + TRACEBACK_MODULES) if m != "builtins")
"""Imported once by the sandbox's server before it forks any test (sandbox/server.py): free per test."""
_IDENT = re.compile(r"(?<![.\w])[A-Za-z_][A-Za-z0-9_]*")


@cache
def prelude_table() -> dict[str, tuple[str, str | None]]:
    """{name: (module, attribute or None for the module itself)} after the whole prelude ran."""
    table: dict[str, tuple[str, str | None]] = {}
    for mod_name in STAR_MODULES:
        mod = importlib.import_module(mod_name)
        names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
        for name in names:
            table[name] = (mod_name, name)
    for mod_name in PLAIN_MODULES:
        table[mod_name] = (mod_name, None)
    # builtins come from the interpreter anyway; binding them again would only cost time
    return {k: v for k, v in table.items() if v[0] != "builtins"}


def prelude_for(source: str) -> dict[str, tuple[str, str | None]]:
    """The prelude bindings a program could use: identifiers in its text that the prelude defines."""
    table = prelude_table()
    return {name: table[name] for name in set(_IDENT.findall(source)) if name in table}


def prelude_arg(source: str) -> str:
    """`prelude_for` as the launcher's argument, "name=module[.attr],..." (no JSON to import in there)."""
    return ",".join(f"{name}={mod}" + (f".{attr}" if attr else "") for name, (mod, attr) in
                    sorted(prelude_for(source).items()))
