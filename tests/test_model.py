"""The model by example, and the black-box invariants catching deliberately broken models."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from chunkattn import ChunkConfig, ConfigError
from chunkattn._internal.checks.model import (
    check_chunk_causality,
    check_padding_invariance,
    check_receptive_field,
)
from chunkattn._internal.engine.own_model import build_model
from chunkattn._internal.impl.model import BACKENDS, TransformerModel
from chunkattn.testing import CheckFailure, ModelTarget

UPSTREAM = Path(__file__).parent / "configs" / "upstream_style_config.yaml"
CASE = {
    "depth": 3,
    "chunk_size": 2,
    "context_chunks": 1,
    "samples_per_patch": 2,
    "features": 4,
    "n_heads": 2,
    "seed": 3,
    "lengths": [9],
}


def broken(backend: str, change_plan) -> TransformerModel:
    """A model whose attention layers see ``change_plan(plan, layer_index)`` instead of the plan."""
    model = build_model(CASE, backend)
    for index, block in enumerate(model.blocks):
        original = block.attn.forward
        block.attn.forward = lambda x, plan, cache=None, i=index, f=original: f(
            x, change_plan(plan, i), cache
        )
    return model


def as_target(model: TransformerModel) -> ModelTarget:
    """The model as the checks see it, claiming the case's geometry."""

    def forward(x, lengths):
        with torch.no_grad():
            return model(x, lengths)

    return ModelTarget(
        forward, features=4, samples_per_patch=2, chunk_size=2, context_chunks=1, depth=3
    )


def failures(check, model: ModelTarget, positions: range, **kwargs) -> list[str]:
    """The check's failure messages over every drawn position it takes."""
    found = []
    for position in positions:
        try:
            check(model, position, **kwargs)
        except CheckFailure as exc:
            found.append(str(exc))
    return found


# flex is slow without compile on the CPU; model.backends_agree holds it to eager's outputs
@pytest.mark.parametrize("backend", sorted(set(BACKENDS) - {"flex"}))
def test_transformer_passes_black_box_checks(backend):
    model = as_target(build_model(CASE, backend))
    for cut in range(5):
        check_chunk_causality(model, chunks=6, cut=cut)
    assert not failures(check_receptive_field, model, range(6))
    check_padding_invariance(model, lengths=[3, 17, 8, 20])


@pytest.mark.parametrize("backend", ["eager", "window"])
def test_bidirectional_layer_leaks_the_future(backend):
    model = broken(
        backend, lambda plan, i: plan.with_config(ChunkConfig(None, None)) if i == 1 else plan
    )
    with pytest.raises(CheckFailure, match="changed by .* when only input frames"):
        check_chunk_causality(as_target(model), chunks=6, cut=0)


@pytest.mark.parametrize(("delta", "word"), [(1, "depends"), (-1, "does not depend")])
def test_mask_one_chunk_off_changes_the_receptive_field(delta, word):
    model = as_target(broken("eager", lambda plan, i: plan.with_config(ChunkConfig(2, 1 + delta))))
    for cut in range(5):
        check_chunk_causality(model, chunks=6, cut=cut)  # still causal
    found = failures(check_receptive_field, model, range(6))
    assert found and all(f" {word} on input chunk" in message for message in found)


def test_missing_key_padding_is_caught():
    model = broken(
        "eager", lambda plan, i: plan.with_lengths(torch.full_like(plan.lengths, plan.seq_len))
    )
    with pytest.raises(CheckFailure, match="alone vs in the padded batch"):
        check_padding_invariance(as_target(model), lengths=[3, 17, 8, 20])


def test_upstream_config_builds_and_runs():
    model = TransformerModel.from_config(UPSTREAM, seed=0).eval()
    assert model.settings.model_dim == 6 * 64 and len(model.blocks) == 5
    logits = model(torch.randn(2, 30, 512), torch.tensor([30, 13]))
    assert logits.shape == (2, 8, 40)
    assert model.output_lengths(torch.tensor([30, 13])).tolist() == [8, 4]
    assert model.last_chunk_config == ChunkConfig(4, 10)


def test_bad_inputs_fail_early():
    model = TransformerModel.from_config(None)
    with pytest.raises(ValueError, match="attention_backend must be one of"):
        model.attention_backend = "fast"
    with pytest.raises(ValueError, match="features"):
        model(torch.zeros(1, 8, 3), torch.tensor([8]))
    with pytest.raises(ValueError, match="lengths must lie in"):
        model(torch.zeros(1, 8, 16), torch.tensor([9]))
    with pytest.raises(ConfigError, match="chunk_size_max"):
        block = {
            "chunk_size_min": 1,
            "chunk_size_max": float("inf"),
            "context_sec_min": 3,
            "context_sec_max": 20,
            "timestep_duration_sec": 0.08,
            "eval": {"chunk_size": 4, "context_sec": 3.2},
        }
        TransformerModel.from_config({"chunked_attention": block})


def test_training_never_touches_the_global_generator():
    model = TransformerModel.from_config(None, seed=1).train()
    before = torch.get_rng_state()
    model(
        torch.randn(2, 40, 16, generator=torch.Generator().manual_seed(0)), torch.tensor([40, 20])
    ).sum().backward()
    assert torch.equal(before, torch.get_rng_state())


def test_stream_misuse_is_clear():
    from chunkattn._internal.impl.streaming import StreamingEncoder

    model = TransformerModel.from_config(None).eval()
    stream = StreamingEncoder(model)
    assert stream.feed(torch.zeros(0, 16)).shape == (0, 40)  # an empty piece is a no-op
    assert stream.feed(torch.zeros(3, 16)).shape == (0, 40)  # not yet a whole chunk
    assert stream.flush().shape == (1, 40)  # 3 frames = one partial patch
    with pytest.raises(RuntimeError, match="flushed"):
        stream.feed(torch.zeros(4, 16))
    with pytest.raises(ValueError, match="frames must be"):
        StreamingEncoder(model).feed(torch.zeros(4, 15))
    with pytest.raises(ValueError, match="eval mode"):
        StreamingEncoder(model.train())
