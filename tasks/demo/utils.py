"""Thin lm-eval adapter for the offline demo task (logic in evalkit.demo)."""

from evalkit.demo import load_demo_dataset  # noqa: F401
