"""rich progress per stage: generation (requests, output tokens/s, ETA), then one bar per graded batch
(verdicts/s, running accuracy). Quiet: nothing."""

from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class StageProgress:
    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.console, transient=False,
        )
        self.gen = None
        self.tokens = 0
        self.t0 = 0.0

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    def start_generation(self, total: int, done: int) -> None:
        self.t0, self.tokens = time.perf_counter(), 0
        label = f"generation ({done} reused)" if done else "generation"
        self.gen = self.progress.add_task(label, total=total, completed=done, rate="")

    def advance_generation(self, requests: int, tokens: int) -> None:
        self.tokens += tokens
        rate = self.tokens / max(time.perf_counter() - self.t0, 1e-9)
        self.progress.update(self.gen, advance=requests, rate=f"{rate:,.0f} tok/s")

    def open_scoring(self, label: str, total: int):
        """A bar for one graded batch; the returned `advance(n, correct)` may be called from any thread."""
        task = self.progress.add_task(label, total=total, rate="")
        lock, t0 = threading.Lock(), time.perf_counter()
        seen = {"n": 0, "correct": 0}

        def advance(n: int, correct: int) -> None:
            with lock:
                seen["n"] += n
                seen["correct"] += correct
                rate = seen["n"] / max(time.perf_counter() - t0, 1e-9)
                accuracy = 100.0 * seen["correct"] / max(seen["n"], 1)
            self.progress.update(task, advance=n, rate=f"{rate:,.1f} verdicts/s · accuracy {accuracy:.1f}%")

        return advance
