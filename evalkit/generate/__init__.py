"""Everything that turns prompts into text: backends, presets, the tokenizer front and the resume cache.

`backends.open_generator(spec)` builds what generates; `resume.ResumableLM` sits between lm-eval and it.
"""

from evalkit.generate.spec import BACKENDS, BackendSpec

__all__ = ["BACKENDS", "BackendSpec"]
