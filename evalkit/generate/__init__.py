"""Generation backends behind one interface: `open_generator(spec)` -> object with `run(chunks)` and `close()`.

`run` yields `(chunk_index, outputs)` as chunks finish so the caller can persist each one at once.
"""

from __future__ import annotations

from evalkit.generate.spec import BACKENDS, BackendSpec


def open_generator(spec: BackendSpec):
    """One replica in-process when dp == 1, else one worker process per replica."""
    if spec.dp > 1:
        if spec.backend == "openai":
            from evalkit.errors import EvalkitError

            raise EvalkitError("--dp applies to local backends; for --backend openai raise --concurrency instead.")
        from evalkit.generate.dp import DataParallelGenerator

        return DataParallelGenerator(spec)
    from evalkit.generate.local import LocalGenerator

    return LocalGenerator(spec)


__all__ = ["BACKENDS", "BackendSpec", "open_generator"]
