"""Glue between lm-evaluation-harness tasks (tasks/) and evalkit: datasets, prompts, batch grading, metrics.

The YAML in tasks/ stays declarative; the functions it names through `!function utils.x` are thin
re-exports of the ones here.
"""
