"""The Sky-T1 evaluation prompts (SkyThought), written once: what the math tasks show the model, and
what the demonstrations built for training are prompted with, so that the two see the same text.
MATH500 / AMC23 / OlympiadBench put the instruction first, AIME puts it after the problem."""

BOXED_FIRST = "Return your final response within \\boxed{{}}. {question}"
BOXED_AFTER = "{question}\nReturn your final response within \\boxed{{}}"
