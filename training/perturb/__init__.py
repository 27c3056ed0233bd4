"""Demonstration perturbations for the structure-vs-content study (step segmentation, six kinds)."""

from training.perturb.dataset import Summary, perturb_file
from training.perturb.kinds import CONTENT_KINDS, DEFAULT_KEYWORDS, KINDS, perturb_traces
from training.perturb.segment import FORMATS, Trace, segment

__all__ = ["CONTENT_KINDS", "DEFAULT_KEYWORDS", "FORMATS", "KINDS", "Summary", "Trace", "perturb_file",
           "perturb_traces", "segment"]  # fmt: skip
