"""rich progress per stage: generation (requests, output tokens/s, ETA), then scoring. Quiet: nothing."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class StageProgress:
    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.console, transient=False,
        )
        self.gen = None
        self.score = None
        self.tokens = 0
        self.t0 = 0.0

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.finish_scoring()
        self.progress.stop()

    def start_generation(self, total: int, done: int) -> None:
        self.t0, self.tokens = time.perf_counter(), 0
        label = f"generation ({done} reused)" if done else "generation"
        self.gen = self.progress.add_task(label, total=total, completed=done, rate="")

    def advance_generation(self, requests: int, tokens: int) -> None:
        self.tokens += tokens
        rate = self.tokens / max(time.perf_counter() - self.t0, 1e-9)
        self.progress.update(self.gen, advance=requests, rate=f"{rate:,.0f} tok/s")

    def finish_generation(self) -> None:
        self.score = self.progress.add_task("scoring (lm-eval filters + metrics)", total=None, rate="")

    def finish_scoring(self) -> None:
        if self.score is not None:
            self.progress.update(self.score, total=1, completed=1)
            self.score = None
