"""White-box checks of chunkattn's own model (SPEC section 5): every attention backend computes
the same function, and training samples its configs while eval uses the fixed one. They need
chunkattn's model code (capability ``own``); the black-box ``model.*`` checks that run on any
model are in :mod:`chunkattn._internal.checks.model`, and its gradients are checked by the
training-health checks (:mod:`chunkattn._internal.checks.train`) as any model's are.
"""

from __future__ import annotations

import torch

from chunkattn._internal.checks.model import EQUAL_ATOL, noise_generator
from chunkattn._internal.engine.own_model import MODEL_CASES, build_model
from chunkattn._internal.engine.registry import Case, CheckContext, fail, register
from chunkattn._internal.impl.model import BACKENDS
from chunkattn._internal.impl.sampler import ChunkConfigSampler

__all__: list[str] = []


@register("model.backends_agree", MODEL_CASES, needs="own", example_share=0.15)
def model_backends_agree(ctx: CheckContext, case: Case) -> None:
    """Every registered attention backend computes what eager does (<= 1e-5 fp32), padding
    and all; a backend added to ``chunkattn._internal.impl.model.BACKENDS`` is checked with no change here."""
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


@register("model.train_eval", MODEL_CASES, needs="own", example_share=0.25)
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
