"""chunkattn's own :class:`~chunkattn._internal.impl.model.TransformerModel` as a model target, and the tiny
models the white-box checks build (:mod:`chunkattn._internal.checks.own_model`).

It sits between the model code and the checks: it imports the model and the target protocol,
never a check, so the targets (:mod:`chunkattn._internal.engine.target`) can offer chunkattn's own model
without importing the suite.
"""

from __future__ import annotations

import random
from typing import Any

import torch
from hypothesis import strategies as st

from chunkattn._internal.contract.config import ChunkedAttentionSettings, ModelSettings
from chunkattn._internal.contract.core import ChunkConfig
from chunkattn._internal.engine.cases import fields
from chunkattn._internal.engine.model_target import ModelTarget
from chunkattn._internal.engine.schema import Int, ListOf, Optional
from chunkattn._internal.impl.model import BACKENDS, TransformerModel

__all__ = ["MODEL_CASES", "build_model", "chunkattn_model", "model_cases"]

Case = dict[str, Any]


#: small models over the corners: depth, chunk size, context (0 and None), patching, and a
#: batch's lengths (the white-box checks' cases)
MODEL_CASES = fields(
    depth=Int(1, 3),
    chunk_size=Int(1, 4),
    context_chunks=Optional(Int(0, 2)),
    samples_per_patch=Int(1, 3),
    features=Int(3, 6),
    n_heads=Int(1, 2),
    seed=Int(0, 2**16),
    lengths=ListOf(Int(0, 30), max_len=4, min_len=1),
)


def model_cases() -> st.SearchStrategy[Case]:
    """The strategy of :data:`MODEL_CASES`."""
    return MODEL_CASES.strategy()


def build_model(
    case: Case, backend: str = "eager", *, dropout: float = 0.0, **chunked
) -> TransformerModel:
    """A tiny :class:`TransformerModel` for a model case (eval config = the case's geometry)."""
    settings = ModelSettings(
        features_list=(case["features"],),
        samples_per_patch=case["samples_per_patch"],
        depth=case["depth"],
        n_heads=case["n_heads"],
        dim_head=8,
        mlp_dim_ratio=2,
        nClasses=5,
        dropout=dropout,
        input_dropout=dropout,
    )
    chunk_settings = ChunkedAttentionSettings(
        chunk_size_min=1,
        chunk_size_max=6,
        context_sec_min=0.0,
        context_sec_max=1.0,
        timestep_duration_sec=0.08,
        **chunked,
    )
    model = TransformerModel(settings, chunk_settings, attention_backend=backend, seed=case["seed"])
    model.eval_chunk_config = ChunkConfig(case["chunk_size"], case["context_chunks"])
    return model.eval()


def model_target(model: TransformerModel) -> ModelTarget:
    """A built :class:`TransformerModel` (in eval mode, its eval config) as a model target."""
    from chunkattn._internal.impl.streaming import StreamingEncoder

    config = model.eval_chunk_config

    def forward(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(x, lengths)

    return ModelTarget(
        forward=forward,
        features=model.settings.features_list[0],
        samples_per_patch=model.settings.samples_per_patch,
        chunk_size=config.chunk_size,
        context_chunks=config.context_chunks,
        depth=len(model.blocks),
        stream=lambda: StreamingEncoder(model),
        timestep_sec=model.chunked.timestep_duration_sec,
        module=model,
    )


def chunkattn_model(seed: int = 0) -> ModelTarget:
    """chunkattn's own :class:`~chunkattn._internal.impl.model.TransformerModel` and
    :class:`~chunkattn._internal.impl.streaming.StreamingEncoder` as a model target.

    The seed picks the weights *and* a small geometry (depth 1-3, ``C`` 1-4, ``L`` 0-2 or
    unlimited, 1-3 frames a patch, the eager, sdpa and window backends), so checks that draw
    seeds explore the model's corners; seed 0 is a plain 2-layer model with ``C=2, L=1``.
    """
    rng = random.Random(seed)
    case = {
        "depth": 2 if seed == 0 else rng.randint(1, 3),
        "chunk_size": 2 if seed == 0 else rng.randint(1, 4),
        "context_chunks": 1 if seed == 0 else rng.choice([None, 0, 1, 2]),
        "samples_per_patch": 2 if seed == 0 else rng.randint(1, 3),
        "features": 4 if seed == 0 else rng.randint(3, 6),
        "n_heads": 2 if seed == 0 else rng.randint(1, 2),
        "seed": seed,
    }
    # flex without torch.compile is ~20x slower on the CPU; model.backends_agree checks it
    backend = "eager" if seed == 0 else rng.choice(sorted(set(BACKENDS) - {"flex"}))
    return model_target(build_model(case, backend))
