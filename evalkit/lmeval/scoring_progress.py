"""The channel through which the batch filters report verdicts while they grade.

The filters run deep inside lm-eval, which has no progress hook for them. `evalkit eval` and
`evalkit score` install a listener, so grading and code execution show verdicts/s and a running
accuracy; under plain `lm_eval` none is installed and the filters stay silent (the sandbox then
shows its own bar)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Advance = Callable[[int, int], None]  # (verdicts ready, how many of them correct)
Opener = Callable[[str, int], Advance]  # (label, total verdicts) -> advance

_opener: Opener | None = None


@contextmanager
def listening(opener: Opener) -> Iterator[None]:
    """Route every batch opened inside the block to `opener`."""
    global _opener
    previous, _opener = _opener, opener
    try:
        yield
    finally:
        _opener = previous


def open_batch(label: str, total: int) -> Advance | None:
    """The advance callback for one graded batch, or None when nobody listens."""
    return _opener(label, total) if _opener is not None else None


def silent(label: str, total: int) -> Advance:
    """A listener that shows nothing (quiet mode), which also silences the sandbox's own bar."""
    return lambda n, correct: None
