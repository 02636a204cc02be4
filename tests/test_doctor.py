"""chunkattn doctor finds what training-time checks miss: frozen and detached layers."""

from __future__ import annotations

import torch
from rich.console import Console

from chunkattn._internal.commands.doctor import diagnose
from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.impl.model import TransformerModel

QUIET = Console(quiet=True)


def findings(model=None):
    return {f.check: f for f in diagnose(load_config(), model=model, steps=300, console=QUIET)}


def test_default_config_is_healthy():
    assert all(f.ok for f in findings().values()), findings()


def test_layer_frozen_on_purpose_is_reported_not_flagged():
    """requires_grad=False is a choice (fine-tuning on a frozen front end), not a finding."""
    model = TransformerModel.from_config(None)
    model.blocks[1].ffn.up.weight.requires_grad_(False)
    grad = findings(model)["gradient flow"]
    assert grad.ok and "1 frozen: blocks.1.ffn.up.weight" in grad.detail


def test_layer_used_for_no_participant_is_named():
    """A parameter no participant's forward reaches (a second front end never used) is named."""
    model = TransformerModel.from_config(None)
    model.register_parameter("unused_gain", torch.nn.Parameter(torch.ones(3)))
    grad = findings(model)["gradient flow"]
    assert not grad.ok and "no gradient: unused_gain" in grad.detail


def test_detached_layer_is_named():
    model = TransformerModel.from_config(None)
    block = model.blocks[0]
    original = block.forward
    block.forward = lambda x, plan, cache=None: tuple(
        t.detach() if i == 0 else t for i, t in enumerate(original(x, plan, cache))
    )
    grad = findings(model)["gradient flow"]
    assert not grad.ok
    assert "blocks.0.attn.to_qkv.weight" in grad.detail and "patch_embed.0.1.weight" in grad.detail
    assert "blocks.1." not in grad.detail


def test_sampler_that_never_chunks_is_flagged():
    raw = load_config().raw
    block = raw["model"]["transformer"]["chunked_attention"]
    config = load_config(
        {
            **raw,
            "model": {
                "transformer": {
                    **raw["model"]["transformer"],
                    "chunked_attention": {**block, "chunkwise_prob": 0.0},
                }
            },
        }
    )
    result = {f.check: f for f in diagnose(config, steps=5, console=QUIET)}["sampler frequencies"]
    assert not result.ok and "never chunks" in result.detail
