"""Samples -> optimizer steps -> per-rank micro-batches, without cross-contamination.

The order of samples is a pure function of (seed, epoch), so the data position of a run is just its
step number: resuming needs no sampler state. Labels are shifted per sample *before* packing, so the
last token of one sample never predicts the first token of the next. Packed samples share a row of
batch size 1 and restart their `position_ids` at 0; transformers turns restarting positions into a
block-diagonal causal mask (sdpa / flex attention), so attention never crosses a sample boundary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from training.data import IGNORE, Sample


@dataclass
class MicroBatch:
    input_ids: torch.Tensor  # [B, T]
    position_ids: torch.Tensor  # [B, T], restarting at 0 for each packed sample
    targets: torch.Tensor  # [B, T], next-token targets (IGNORE where no loss)
    attention_mask: torch.Tensor | None  # [B, T] for padded (unpacked) batches, None when packed
    lengths: list[int]  # real sample lengths inside (for attention FLOPs)

    @property
    def real_tokens(self) -> int:
        return sum(self.lengths)

    def to(self, device: torch.device) -> MicroBatch:
        move = (lambda t: None if t is None else t.to(device, non_blocking=True))
        return MicroBatch(move(self.input_ids), move(self.position_ids), move(self.targets),
                          move(self.attention_mask), self.lengths)


def steps_per_epoch(num_samples: int, global_batch: int) -> int:
    return math.ceil(num_samples / global_batch)


def total_steps(num_samples: int, global_batch: int, epochs: float, max_steps: int | None) -> int:
    if max_steps:
        return max_steps
    return max(1, math.ceil(epochs * steps_per_epoch(num_samples, global_batch)))


def step_indices(num_samples: int, global_batch: int, seed: int, step: int) -> list[int]:
    """Sample indices of optimizer step `step`: epoch-wise shuffles seeded by (seed, epoch)."""
    spe = steps_per_epoch(num_samples, global_batch)
    epoch, k = divmod(step, spe)
    order = torch.randperm(num_samples, generator=torch.Generator().manual_seed(seed * 100003 + epoch))
    return order[k * global_batch : (k + 1) * global_batch].tolist()


def split_ranks(indices: list[int], samples: list[Sample], world: int) -> list[list[int]]:
    """Longest first to the rank with the fewest tokens: balanced work, same result on every rank."""
    ranks: list[list[int]] = [[] for _ in range(world)]
    load = [0] * world
    for i in sorted(indices, key=lambda i: (-len(samples[i].input_ids), i)):
        r = min(range(world), key=lambda r: (load[r], r))
        ranks[r].append(i)
        load[r] += len(samples[i].input_ids)
    return ranks


def shifted_targets(sample: Sample) -> list[int]:
    return sample.labels[1:] + [IGNORE]


def pack(samples: list[Sample], pack_length: int) -> list[MicroBatch]:
    """First-fit decreasing into rows of at most `pack_length` tokens, one row per micro-batch."""
    bins: list[list[Sample]] = []
    room: list[int] = []
    for sample in sorted(samples, key=lambda s: -len(s.input_ids)):
        n = len(sample.input_ids)
        slot = next((b for b, free in enumerate(room) if free >= n), None)
        if slot is None:
            bins.append([])
            room.append(pack_length)
            slot = len(bins) - 1
        bins[slot].append(sample)
        room[slot] -= n
    out = []
    for group in bins:
        ids = [t for s in group for t in s.input_ids]
        pos = [p for s in group for p in range(len(s.input_ids))]
        tgt = [t for s in group for t in shifted_targets(s)]
        out.append(MicroBatch(torch.tensor([ids]), torch.tensor([pos]), torch.tensor([tgt]), None,
                              [len(s.input_ids) for s in group]))
    return out


def pad(samples: list[Sample], micro_batch_size: int, pad_id: int) -> list[MicroBatch]:
    """Unpacked: similar lengths together, right-padded, padding masked out of attention and loss."""
    ordered = sorted(samples, key=lambda s: -len(s.input_ids))
    out = []
    for start in range(0, len(ordered), micro_batch_size):
        group = ordered[start : start + micro_batch_size]
        width = max(len(s.input_ids) for s in group)
        ids = torch.full((len(group), width), pad_id)
        tgt = torch.full((len(group), width), IGNORE)
        mask = torch.zeros((len(group), width), dtype=torch.long)
        for row, s in enumerate(group):
            n = len(s.input_ids)
            ids[row, :n] = torch.tensor(s.input_ids)
            tgt[row, :n] = torch.tensor(shifted_targets(s))
            mask[row, :n] = 1
        pos = torch.arange(width).expand(len(group), width).clone()
        out.append(MicroBatch(ids, pos, tgt, mask, [len(s.input_ids) for s in group]))
    return out


def empty(pad_id: int) -> MicroBatch:
    """A one-token micro-batch with no target, so every rank runs the same number of forwards (FSDP)."""
    return MicroBatch(torch.tensor([[pad_id]]), torch.tensor([[0]]), torch.tensor([[IGNORE]]), None, [])


@dataclass
class StepPlan:
    micro_batches: list[MicroBatch]  # this rank's
    targets: int  # target tokens of the whole global batch (all ranks): the loss normaliser
    tokens: int  # real tokens of the whole global batch
    lengths: list[int]  # all sample lengths of the global batch


def plan_step(samples: list[Sample], step: int, *, global_batch: int, seed: int, world: int, rank: int,
              packing: bool, pack_length: int, micro_batch_size: int, pad_id: int) -> StepPlan:
    indices = step_indices(len(samples), global_batch, seed, step)
    per_rank = split_ranks(indices, samples, world)

    def batches(idx: list[int]) -> list[MicroBatch]:
        chosen = [samples[i] for i in idx]
        return pack(chosen, pack_length) if packing else pad(chosen, micro_batch_size, pad_id)

    counts = [len(batches(idx)) for idx in per_rank] if world > 1 else None
    mine = batches(per_rank[rank])
    if counts:
        mine += [empty(pad_id) for _ in range(max(counts) - len(mine))]
    chosen = [samples[i] for i in indices]
    return StepPlan(mine, sum(s.targets for s in chosen), sum(len(s.input_ids) for s in chosen),
                    [len(s.input_ids) for s in chosen])
