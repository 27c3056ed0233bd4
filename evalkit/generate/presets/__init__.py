"""Evaluation presets are data: one YAML file per preset in this folder.

A preset gives the system prompt, whether to apply the chat template, default sampling settings,
and per-task exceptions (task name or glob). `apply` joins a preset with the command line once;
its `settings(task)` merges preset, task exception and flags into what one task actually runs with.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from evalkit.errors import EvalkitError

PRESET_DIR = Path(__file__).parent
SETTING_KEYS = ("temperature", "top_p", "n", "max_tokens")


@dataclass(frozen=True)
class TaskSettings:
    n: int
    temperature: float
    top_p: float
    max_tokens: int

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def generation_kwargs(self) -> dict:
        """What lm-eval's generation_kwargs get: never do_sample=False together with a temperature."""
        if self.greedy:
            return {"do_sample": False, "temperature": 0.0, "max_gen_toks": self.max_tokens}
        return {"do_sample": True, "temperature": self.temperature, "top_p": self.top_p,
                "max_gen_toks": self.max_tokens}

    def to_dict(self) -> dict:
        return asdict(self)


def names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load(name: str) -> dict:
    path = PRESET_DIR / f"{name}.yaml"
    if not path.is_file():
        raise EvalkitError(f"unknown --preset {name!r}; known presets: {', '.join(names())}.")
    preset = yaml.safe_load(path.read_text()) or {}
    for key in ("defaults", "tasks"):
        if not isinstance(preset.get(key) or {}, dict):
            raise EvalkitError(f"{path}: '{key}' must be a mapping.")
    unknown = set(preset.get("defaults") or {}) - set(SETTING_KEYS)
    if unknown:
        raise EvalkitError(f"{path}: unknown setting(s) {sorted(unknown)} in defaults; allowed: {SETTING_KEYS}.")
    preset.setdefault("tasks", {})
    return preset


def resolve(preset: dict, task: str, overrides: dict) -> TaskSettings:
    """Preset defaults, then the first matching per-task entry, then non-None command-line overrides."""
    values = dict(preset.get("defaults") or {})
    for pattern, extra in (preset.get("tasks") or {}).items():
        if fnmatch.fnmatchcase(task, pattern):
            values.update(extra or {})
            break
    values.update({k: v for k, v in overrides.items() if v is not None})
    missing = [k for k in SETTING_KEYS if k not in values]
    if missing:
        raise EvalkitError(f"preset {preset.get('name')!r} does not set {missing} for task {task}.")
    settings = TaskSettings(n=int(values["n"]), temperature=float(values["temperature"]),
                            top_p=float(values["top_p"]), max_tokens=int(values["max_tokens"]))
    if settings.n < 1 or settings.temperature < 0 or settings.max_tokens < 1 or not 0 < settings.top_p <= 1:
        raise EvalkitError(f"invalid settings for task {task}: {settings.to_dict()} (--n >= 1, --temperature >= 0, "
                           "--max-tokens >= 1, 0 < top_p <= 1).")
    return settings


def system_prompt(name: str) -> str | None:
    """The system prompt of preset `name` (training uses the Sky-T1 one: one copy for both)."""
    return load(name).get("system_prompt")


@dataclass(frozen=True)
class AppliedPreset:
    """A preset joined with the run's flags: the one place a run's prompts and sampling settings come from."""

    preset: dict
    overrides: dict
    system_prompt: str | None
    apply_chat_template: bool
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def settings(self, task: str) -> TaskSettings:
        """What `task` runs with (computed once per task; bad flags fail here with the task's name)."""
        if task not in self._cache:
            self._cache[task] = resolve(self.preset, task, self.overrides)
        return self._cache[task]


def apply(name: str, overrides: dict, system_prompt: str | None = None,
          chat_template: bool | None = None) -> AppliedPreset:
    """Load preset `name` and apply the flags: None keeps the preset's choice, '' turns the system prompt off."""
    preset = load(name)
    prompt = preset.get("system_prompt") if system_prompt is None else (system_prompt or None)
    chat = bool(preset.get("apply_chat_template", True)) if chat_template is None else chat_template
    return AppliedPreset(preset, {k: v for k, v in overrides.items() if v is not None}, prompt, chat)
