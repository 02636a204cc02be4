"""Config loading by example: the layouts users have, the embedded default, the eval config."""

from __future__ import annotations

from pathlib import Path

import pytest

from chunkattn import ChunkConfig, ChunkConfigSampler, ConfigError, context_chunks_for, load_config

UPSTREAM = Path(__file__).parent / "configs" / "upstream_style_config.yaml"


def test_upstream_training_config_loads():
    config = load_config(UPSTREAM)
    assert config.block_path == "model.transformer.chunked_attention"
    assert config.chunked.chunk_size_max == 20 and config.chunked.timestep_duration_sec == 0.08
    assert config.chunked.eval_config() == ChunkConfig(4, 10)
    assert config.model.depth == 5 and config.model.nClasses == 40 and config.model.dropout == 0.35


def test_embedded_default_has_the_seed_values():
    chunked = load_config().chunked
    assert (chunked.chunk_size_min, chunked.chunk_size_max) == (1, 20)
    assert (chunked.context_sec_min, chunked.context_sec_max) == (3, 20)
    assert (chunked.chunkwise_prob, chunked.left_constrain_prob) == (1.0, 1.0)
    assert chunked.eval_config() == ChunkConfig(4, 10)


@pytest.mark.parametrize(
    ("args", "want"),
    [((4.0, 0.08, 5), 10), ((3.2, 0.08, 4), 10), ((0.56, 0.08, 1), 7), ((12.5, 0.1, 1), 125)],
)
def test_worked_examples(args, want):
    assert context_chunks_for(*args) == want


@pytest.mark.parametrize(
    "kwargs",
    [
        {"chunk_size_range": (1, float("inf"))},
        {"chunkwise_prob": 1.5},
        {"left_constrain_prob": float("nan")},
        {"timestep_duration_sec": 0.0},
        {"context_sec_range": (-1.0, 2.0)},
        {"chunk_size_range": (0, 4)},
    ],
)
def test_sampler_errors_name_the_argument(kwargs):
    base = dict(chunk_size_range=(1, 20), context_sec_range=(3, 20), timestep_duration_sec=0.08)
    with pytest.raises(ValueError) as info:
        ChunkConfigSampler(**{**base, **kwargs})
    assert next(iter(kwargs)).split("_range")[0] in str(info.value)


def test_dict_source_and_unknown_model_key():
    with pytest.raises(
        ConfigError, match=r"model.transformer.n_head: unknown key; did you mean n_heads\?"
    ):
        block = load_config().raw["model"]["transformer"]["chunked_attention"]
        load_config(
            {"nClasses": 4, "model": {"transformer": {"n_head": 2, "chunked_attention": block}}}
        )
