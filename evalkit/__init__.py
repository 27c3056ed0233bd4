"""evalkit: train and evaluate reasoning LLMs on math and code with scores you can trust."""

__version__ = "0.1.0"
