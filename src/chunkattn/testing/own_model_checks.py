"""White-box checks of chunkattn's own model (SPEC section 5): every attention backend computes
the same function, training samples its configs while eval uses the fixed one, every parameter
learns. They need chunkattn's model code (capability ``own``); the black-box ``model.*`` checks
that run on any model are in :mod:`chunkattn.testing.model_checks`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..core import ChunkConfig
from ..model import BACKENDS, TransformerModel
from ..sampler import ChunkConfigSampler
from .model_checks import EQUAL_ATOL, noise_generator
from .own_model import build_model, model_cases
from .registry import Case, CheckContext, fail, register

__all__ = ["grad_flow_problems", "gradient_report"]


@register("model.backends_agree", lambda ctx: model_cases(), needs="own", example_share=0.15)
def model_backends_agree(ctx: CheckContext, case: Case) -> None:
    """Every registered attention backend computes what eager does (<= 1e-5 fp32), padding
    and all; a backend added to ``chunkattn.model.BACKENDS`` is checked with no change here."""
    g = noise_generator(case["seed"])
    lengths = torch.tensor(case["lengths"])
    x = torch.randn(len(case["lengths"]), max(case["lengths"] + [1]), case["features"], generator=g)
    model = build_model(case)
    with torch.no_grad():
        reference = model(x, lengths)
        for backend in sorted(set(BACKENDS) - {"eager"}):
            model.attention_backend = backend
            diff = float((model(x, lengths) - reference).abs().max())
            if diff > EQUAL_ATOL:
                fail(f"backend {backend} differs from eager by {diff:.3g}")


@register("model.train_eval", lambda ctx: model_cases(), needs="own", example_share=0.25)
def model_train_eval(ctx: CheckContext, case: Case) -> None:
    """Train samples from the seeded sampler, eval uses the eval config; last_chunk_config is the
    config actually used."""
    model = build_model(case, chunkwise_prob=0.7, left_constrain_prob=0.6)
    expected = ChunkConfigSampler.from_settings(model.chunked, seed=case["seed"])
    g = noise_generator(case["seed"])
    x = torch.randn(2, 12, case["features"], generator=g)
    lengths = torch.tensor([12, 7])
    model.train()
    for step in range(6):
        with torch.no_grad():
            out = model(x, lengths)
        want = expected.sample()
        if model.last_chunk_config != want:
            fail(
                f"training step {step} used {model.last_chunk_config}, the seeded sampler says {want}"
            )
        model.eval()
        with torch.no_grad():
            replay = model(x, lengths, chunk_config=model.last_chunk_config)
        model.train()
        if not torch.allclose(out, replay, atol=EQUAL_ATOL, rtol=0):
            fail(f"step {step}: output does not match a forward with the recorded {want}")
    model.eval()
    for _ in range(2):
        with torch.no_grad():
            model(x, lengths)
        if model.last_chunk_config != model.eval_chunk_config:
            fail(
                f"eval used {model.last_chunk_config}, not the eval config {model.eval_chunk_config}"
            )


def gradient_report(
    model: TransformerModel, frames: int = 0, seed: int = 0
) -> dict[str, float | None]:
    """Gradient norm of every parameter after one CTC backward through every participant and day
    with full context (so every relative-position bucket is used); None = no gradient."""
    s = model.settings
    g = noise_generator(seed)
    frames = frames or (2 * 128 + 8) * s.samples_per_patch
    model.train()
    model.zero_grad(set_to_none=True)
    total = 0.0
    days = range(s.nDays) if s.nDays else [None]
    for participant, features in enumerate(s.features_list):
        for day in days:
            x = torch.randn(2, frames, features, generator=g)
            lengths = torch.tensor([frames, frames // 2])
            day_idx = None if day is None else torch.full((2,), day)
            logits = model(x, lengths, participant, day_idx, chunk_config=ChunkConfig(None, None))
            log_probs = logits.log_softmax(-1).transpose(0, 1)
            targets = torch.randint(1, s.nClasses, (2, 5), generator=g)
            loss = F.ctc_loss(
                log_probs, targets, model.output_lengths(lengths), torch.tensor([5, 5])
            )
            total = total + loss
    total.backward()
    return {
        name: (None if p.grad is None else float(p.grad.norm()))
        for name, p in model.named_parameters()
    }


def grad_flow_problems(report: dict[str, float | None]) -> list[str]:
    """What is wrong in a :func:`gradient_report`: parameters with no, zero or non-finite
    gradient, one line per kind naming them (empty: every gradient is finite and non-zero)."""
    kinds = {
        "no gradient": [n for n, g in report.items() if g is None],
        "zero gradient": [n for n, g in report.items() if g == 0.0],
        "non-finite gradient": [
            n for n, g in report.items() if g is not None and not math.isfinite(g)
        ],
    }
    return [f"{kind}: {', '.join(names)}" for kind, names in kinds.items() if names]


@register("model.grad_flow", lambda ctx: model_cases(max_depth=2), needs="own", example_share=0.1)
def model_grad_flow(ctx: CheckContext, case: Case) -> None:
    """Every parameter gets a finite, non-zero gradient."""
    model = build_model({**case, "samples_per_patch": 1}, dropout=0.1)
    problems = grad_flow_problems(gradient_report(model, seed=case["seed"]))
    if problems:
        fail("; ".join(problems))
