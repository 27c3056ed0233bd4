"""A compact LoRA / full-SFT trainer for long chain-of-thought demonstrations.

Read it top to bottom: `config` (the recipe), `data` (rows -> token ids + assistant-only labels),
`packing` (samples -> micro-batches without cross-contamination), `modeling` (model, LoRA, FSDP/DDP),
`loop` (the training loop, checkpoints, logs), `merge` (adapter -> merged model directory).
Driven by `evalkit train` and `evalkit merge`.
"""
