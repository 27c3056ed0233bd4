"""Leaderboards kept in the repository: JSON records per (model, suite, preset), a generated README,
and a check that CI runs. `importer` turns published outputs into a run directory first."""
