"""The learning test: a reduced `evalkit demo` must teach a random model the number-chains task, as
measured on held-out problems the training never saw. It fails when training silently stops teaching
(labels masked, loss mis-normalised, the trained weights not the ones saved and evaluated), which no
unit test of the trainer's parts would notice."""

from __future__ import annotations

import json

import pytest

from evalkit.data import chains
from evalkit.demo.pipeline import DemoSettings, run_demo
from evalkit.errors import EvalkitError

# Measured (docs/demo.md, "The learning test"): the random model's held-out loss is 5.9 nats per target
# token, 200 steps bring it to 0.07; with every label masked but the end token it is 17.5.
REDUCED = DemoSettings(steps=150, batch=16, lr=5e-3, problems=20)
LOSS_CEILING = 1.0


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "run"
    return out, run_demo(out, REDUCED)


def test_training_teaches_the_model_the_held_out_task(demo_run):
    out, summary = demo_run
    loss = summary["heldout_loss"]
    assert loss["base"] > 4.0
    assert loss["trained"] < LOSS_CEILING, f"held-out loss {loss['trained']:.2f} after training: learning is broken"
    assert summary["base"] <= 0.05
    for run in ("base", "trained"):
        assert list((out / run).glob("results_*.json")), f"{run} run directory has no lm-eval results"


def test_demonstrations_are_sky_t1_traces_that_never_repeat_a_held_out_question():
    from training.perturb.segment import segment

    held = {p.question for p in chains.held_out()}
    rows = chains.demonstrations(200, seed=3)
    assert not held & {r["question"] for r in rows}
    trace = segment(rows[0]["response"], "auto", "row 0")
    assert trace.format == "sky-t1" and len(trace.steps) == chains.STEPS + 1  # the rotations and the check
    assert f"\\boxed{{{rows[0]['answer']}}}" in trace.solution


def test_held_out_set_is_fixed_and_checked():
    from evalkit import data

    problems = data.load("chains")
    assert len(problems) == chains.HELD_OUT_COUNT == len({p.question for p in problems})
    assert [p.to_dict() for p in problems[:3]] == [p.to_dict() for p in chains.held_out()[:3]]


def test_demo_refuses_a_directory_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(EvalkitError, match="not empty"):
        run_demo(tmp_path, REDUCED)
    assert json.loads(json.dumps({"kept": (tmp_path / "notes.txt").read_text()})) == {"kept": "mine"}
