"""LiveCodeBench code generation (`livecodebench/code_generation_lite`): releases, filters, tests.

Each release is cumulative: release_vN is the Hub files test.jsonl, test2.jsonl ... testN.jsonl.
Rows keep the Hub schema (`question_title`, `question_content`, `platform`, `question_id`,
`contest_id`, `contest_date`, `starter_code`, `difficulty`, `public_test_cases` (JSON text),
`private_test_cases` (JSON text or base64(zlib(pickle(JSON text)))), `metadata` (JSON text with
`func_name` for call-based problems)). A local directory holds the same files; the shared
`livecodebench_release_v1_public/lcb.jsonl` (no private tests) is read for release_v1.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from evalkit.data.benchmark import DATA_DIR_ENV, HubSource, resolve_data_dir
from evalkit.data.safe_pickle import UnsafePickle, decode_lcb_private
from evalkit.errors import DataError, EvalkitError
from evalkit.io import read_jsonl, require

HUB_ID = "livecodebench/code_generation_lite"
RELEASES = {"release_v1": 400, "release_v2": 511, "release_v3": 612, "release_v4": 713,
            "release_v5": 880, "release_v6": 1055}
PLATFORMS = ("atcoder", "codeforces", "leetcode")
DIFFICULTIES = ("easy", "medium", "hard")
SHARED_V1 = "livecodebench_release_v1_public/lcb.jsonl"
LOCAL_DIR = "livecodebench"
FIELDS = ["question_title", "question_content", "platform", "question_id", "contest_date", "difficulty",
          "public_test_cases"]


def hub_files(release: str) -> list[str]:
    n = int(release.rsplit("v", 1)[1])
    return ["test.jsonl"] + [f"test{i}.jsonl" for i in range(2, n + 1)]


@dataclass(frozen=True)
class CodeProblem:
    """One LiveCodeBench problem. `tests` = public then private, in LCB's order."""

    id: str
    title: str
    question: str
    platform: str
    contest_id: str
    contest_date: str
    difficulty: str
    starter_code: str
    fn_name: str | None
    public_tests: list[dict[str, str]]
    private_tests: list[dict[str, str]]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def tests(self) -> list[dict[str, str]]:
        return self.public_tests + self.private_tests

    @property
    def answers(self) -> list[str]:
        """What `evalkit data show` prints in place of a gold answer."""
        kind = f"call-based {self.fn_name}()" if self.fn_name else "stdin"
        return [f"{len(self.public_tests)} public + {len(self.private_tests)} private tests ({kind})"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tests(text: Any, where: str, name: str) -> list[dict[str, str]]:
    try:
        tests = json.loads(text) if isinstance(text, str) else text
    except ValueError as err:
        raise DataError(f"{where}: {name} is not valid JSON ({err}).") from None
    if not isinstance(tests, list) or not all(
        isinstance(t, dict) and isinstance(t.get("input"), str) and isinstance(t.get("output"), str) for t in tests
    ):
        raise DataError(f"{where}: {name} must be a list of objects with string 'input' and 'output'.")
    return [{"input": t["input"], "output": t["output"], "testtype": str(t.get("testtype", ""))} for t in tests]


def to_problem(row: dict[str, Any], where: str) -> CodeProblem:
    require(row, FIELDS, where)
    try:
        meta = json.loads(row.get("metadata") or "{}")
    except ValueError as err:
        raise DataError(f"{where}: metadata is not valid JSON ({err}).") from None
    private: list[dict[str, str]] = []
    if row.get("private_test_cases"):
        try:
            private = _tests(decode_lcb_private(str(row["private_test_cases"])), where, "private_test_cases")
        except UnsafePickle as err:
            raise DataError(f"{where}: private_test_cases rejected: {err}.") from None
    difficulty = str(row["difficulty"]).lower()
    if difficulty not in DIFFICULTIES:
        raise DataError(f"{where}: unknown difficulty {row['difficulty']!r}.")
    return CodeProblem(
        id=str(row["question_id"]), title=str(row["question_title"]), question=str(row["question_content"]),
        platform=str(row["platform"]).lower(), contest_id=str(row.get("contest_id", "")),
        contest_date=str(row["contest_date"]), difficulty=difficulty, starter_code=str(row.get("starter_code") or ""),
        fn_name=meta.get("func_name") or None, public_tests=_tests(row["public_test_cases"], where, "public_test_cases"),
        private_tests=private, metadata={"has_private_tests": "private_test_cases" in row, **meta},
    )


def _date(value: str | None, flag: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise EvalkitError(f"{flag} {value!r} is not a date (YYYY-MM-DD).") from None


@dataclass(frozen=True)
class LiveCodeBench:
    """A LiveCodeBench selection: release, contest-date window (inclusive), platforms, difficulties."""

    release: str = "release_v1"
    start_date: str | None = None
    end_date: str | None = None
    platforms: tuple[str, ...] = PLATFORMS
    difficulties: tuple[str, ...] = DIFFICULTIES
    check_count: bool = True  # the published size of the release (off for partial local copies)
    name: str = "livecodebench"
    title: str = "LiveCodeBench (code generation)"
    suite: str = "code"
    description: str = "LiveCodeBench code_generation_lite: AtCoder, LeetCode and Codeforces problems with tests."

    def __post_init__(self) -> None:
        if self.release not in RELEASES:
            raise EvalkitError(f"unknown LiveCodeBench release {self.release!r}; known: {', '.join(RELEASES)}.")
        for value, known, what in ((self.platforms, PLATFORMS, "platform"), (self.difficulties, DIFFICULTIES, "difficulty")):
            bad = [v for v in value if v not in known]
            if bad:
                raise EvalkitError(f"unknown {what} {bad[0]!r}; known: {', '.join(known)}.")
        _date(self.start_date, "start date")
        _date(self.end_date, "end date")

    def select(self, **changes: Any) -> LiveCodeBench:
        return replace(self, **changes)

    @property
    def hub(self) -> HubSource:
        return HubSource(HUB_ID, split="test", subset=self.release)

    @property
    def expected_count(self) -> int:
        return RELEASES[self.release]

    @property
    def filtered(self) -> bool:
        return bool(self.start_date or self.end_date or set(self.platforms) != set(PLATFORMS)
                    or set(self.difficulties) != set(DIFFICULTIES))

    def local_path(self, data_dir: str | Path) -> Path:
        """The Hub-layout directory `livecodebench/` if present, else (release_v1) the shared public file."""
        hub_dir = Path(data_dir) / LOCAL_DIR
        if hub_dir.is_dir() or self.release != "release_v1":
            return hub_dir / hub_files(self.release)[-1]
        return Path(data_dir) / SHARED_V1

    def _local_files(self, data_dir: Path) -> list[Path]:
        last = self.local_path(data_dir)
        if last.name == "lcb.jsonl":
            return [last]
        files = [last.parent / name for name in hub_files(self.release)]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise DataError(f"{self.name} {self.release}: {missing[0]} not found (data directory {data_dir}).")
        return files

    def _hub_files(self) -> list[Path]:
        try:
            from huggingface_hub import hf_hub_download

            return [Path(hf_hub_download(HUB_ID, name, repo_type="dataset", revision=self.hub.revision))
                    for name in hub_files(self.release)]
        except Exception as err:  # noqa: BLE001 -- the Hub raises many types; all mean "could not read it"
            raise EvalkitError(
                f"{self.name}: could not download {HUB_ID} from the Hugging Face Hub ({type(err).__name__}); "
                f"point --data-dir or {DATA_DIR_ENV} at a local copy."
            ) from None

    def load(self, data_dir: str | Path | None = None) -> list[CodeProblem]:
        """Problems of the release, filtered; the count is checked when nothing is filtered."""
        root = resolve_data_dir(data_dir)
        files = self._local_files(root) if root else self._hub_files()
        problems: list[CodeProblem] = []
        for path in files:
            problems += [to_problem(row, f"{path}:{lineno}") for lineno, row in read_jsonl(path)]
        seen: set[str] = set()
        for p in problems:
            if p.id in seen:
                raise DataError(f"{files[-1]}: duplicate question_id {p.id!r}.")
            seen.add(p.id)
        if self.check_count and not self.filtered and len(problems) != self.expected_count:
            raise DataError(f"{files[-1]}: expected {self.expected_count} problems in {self.release}, found {len(problems)}.")
        return self.apply_filters(problems)

    def apply_filters(self, problems: list[CodeProblem]) -> list[CodeProblem]:
        start, end = _date(self.start_date, "start date"), _date(self.end_date, "end date")
        out = []
        for p in problems:
            when = datetime.fromisoformat(p.contest_date)
            if start and when < start or end and when.date() > end.date():
                continue
            if p.platform in self.platforms and p.difficulty in self.difficulties:
                out.append(p)
        return out
