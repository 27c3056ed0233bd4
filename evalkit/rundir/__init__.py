"""The run directory: the one owner of its format (read, write atomically, manifest, samples, results).
Every command, the leaderboard importer and the study report go through this package; nothing else
opens these files (the resume cache `generations.jsonl` is written by evalkit.generate.resume, at the
path `evalkit eval` gives it).

    load_run(path) -> Run          one run: headline, settings, and per task one ProblemResult per problem
    find_samples(target)            the newest samples file per task (a run dir or one file)
    write_results(dir, results)     lm-eval's results + samples files, atomically
    manifest.begin(dir, ...)        `evalkit eval` starts recording; `.finish(results, ...)` writes the end
    manifest.read/write
"""

from evalkit.rundir import manifest
from evalkit.rundir.files import (
    GENERATIONS,
    MANIFEST,
    find_results,
    find_samples,
    results_beside,
    run_root,
    timestamp,
)
from evalkit.rundir.read import ProblemResult, Run, Sample, TaskResult, load_run, model_args, task_metrics
from evalkit.rundir.write import sample_row, write_lmeval_run, write_results, write_samples

__all__ = [
    "GENERATIONS", "MANIFEST", "ProblemResult", "Run", "Sample", "TaskResult",
    "find_results", "find_samples", "load_run", "manifest", "model_args", "results_beside", "run_root", "sample_row",
    "task_metrics", "timestamp", "write_lmeval_run", "write_results", "write_samples",
]
