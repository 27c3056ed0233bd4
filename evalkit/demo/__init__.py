"""`evalkit demo`: a tiny model built on the spot learns the synthetic number-chains task on CPU.

`model` builds the untrained model and its tokenizer; `pipeline` runs base eval -> train -> trained
eval -> compare through evalkit's own commands. The task itself is declared once, in
evalkit/data/benchmarks/chains.py (generator: evalkit/data/chains.py; lm-eval task: tasks/chains/).
"""
