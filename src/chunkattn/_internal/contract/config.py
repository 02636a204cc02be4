"""The config schema: the ``chunked_attention`` and ``model.transformer`` blocks, validated.

Turns a parsed config document (a ``dict``) into frozen settings, failing early with one-line
errors that name the source and the key. Reading YAML files is :mod:`chunkattn._internal.contract.loader`'s job;
this module only knows the schema.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from chunkattn._internal.contract.core import (
    ChunkConfig,
    ConfigError,
    check_chunk_size,
    check_sampler_values,
    context_chunks_for,
    is_bad_number,
    is_int,
)

__all__ = [
    "ChunkedAttentionSettings",
    "ModelSettings",
    "ProjectConfig",
    "SAMPLER_KEYS",
    "parse_config",
]


@dataclass(frozen=True)
class ChunkedAttentionSettings:
    """The ``chunked_attention`` block, validated."""

    chunk_size_min: int
    chunk_size_max: int
    context_sec_min: float
    context_sec_max: float
    timestep_duration_sec: float
    chunkwise_prob: float = 1.0
    left_constrain_prob: float = 1.0
    eval_chunk_size: int | None = 4
    eval_context_sec: float | None = 3.2

    def eval_config(self) -> ChunkConfig:
        """The fixed eval-mode config: ``chunk_size: null`` is full context, ``context_sec:
        null`` unlimited left context, otherwise the exact ceil formula."""
        if self.eval_chunk_size is None:
            return ChunkConfig(None, None)
        if self.eval_context_sec is None:
            return ChunkConfig(self.eval_chunk_size, None)
        return ChunkConfig(
            self.eval_chunk_size,
            context_chunks_for(
                self.eval_context_sec, self.timestep_duration_sec, self.eval_chunk_size
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        """The block as it would be written in YAML."""
        return {
            "chunk_size_min": self.chunk_size_min,
            "chunk_size_max": self.chunk_size_max,
            "context_sec_min": self.context_sec_min,
            "context_sec_max": self.context_sec_max,
            "timestep_duration_sec": self.timestep_duration_sec,
            "chunkwise_prob": self.chunkwise_prob,
            "left_constrain_prob": self.left_constrain_prob,
            "eval": {"chunk_size": self.eval_chunk_size, "context_sec": self.eval_context_sec},
        }


@dataclass(frozen=True)
class ModelSettings:
    """The ``model.transformer`` block plus the trainer-level keys the model reads."""

    features_list: tuple[int, ...]
    samples_per_patch: int
    depth: int
    n_heads: int
    dim_head: int
    mlp_dim_ratio: int
    nClasses: int
    nDays: int | None = None
    day_softsign: bool = False
    dim: int | None = None
    dropout: float = 0.0
    input_dropout: float = 0.0
    max_mask_pct: float = 0.0
    num_masks: int = 0

    @property
    def model_dim(self) -> int:
        """Width of the residual stream: ``dim`` if given, else ``n_heads * dim_head``."""
        return self.dim if self.dim is not None else self.n_heads * self.dim_head


@dataclass(frozen=True)
class ProjectConfig:
    """A loaded config file: the chunked-attention block and, if present, the model block."""

    source: str
    chunked: ChunkedAttentionSettings
    model: ModelSettings | None = None
    block_path: str = "chunked_attention"
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


#: the sampler's keys in a ``chunked_attention`` block, in the order they are written
SAMPLER_KEYS = (
    "chunk_size_min",
    "chunk_size_max",
    "context_sec_min",
    "context_sec_max",
    "timestep_duration_sec",
    "chunkwise_prob",
    "left_constrain_prob",
)
_CHUNK_KEYS = (*SAMPLER_KEYS, "eval")
_EVAL_KEYS = ("chunk_size", "context_sec")
_MODEL_REQUIRED = (
    "features_list",
    "samples_per_patch",
    "depth",
    "n_heads",
    "dim_head",
    "mlp_dim_ratio",
)
_MODEL_OPTIONAL = ("nDays", "day_softsign", "chunked_attention", "name", "dim")
_TOP_MODEL_KEYS = {"dropout": 0.0, "input_dropout": 0.0, "max_mask_pct": 0.0, "num_masks": 0}


def parse_config(data: Any, source: str) -> ProjectConfig:
    """Validate a parsed config document; ``source`` names it in error messages."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"the top level must be a mapping, got {type(data).__name__}", source=source
        )
    block_path, block = _find_chunk_block(data, source)
    chunked = _parse_chunked(block, block_path, source)
    model = _parse_model(data, source)
    return ProjectConfig(
        source=source, chunked=chunked, model=model, block_path=block_path, raw=data
    )


def _find_chunk_block(data: dict[str, Any], name: str) -> tuple[str, Any]:
    model = data.get("model")
    transformer = model.get("transformer") if isinstance(model, dict) else None
    nested = isinstance(transformer, dict) and "chunked_attention" in transformer
    if "chunked_attention" in data and nested:
        raise ConfigError(
            "found both chunked_attention and model.transformer.chunked_attention; keep one",
            source=name,
        )
    if "chunked_attention" in data:
        return "chunked_attention", data["chunked_attention"]
    if nested:
        return "model.transformer.chunked_attention", transformer["chunked_attention"]
    raise ConfigError(
        "missing key chunked_attention (looked at the top level and at "
        "model.transformer.chunked_attention)",
        key="chunked_attention",
        source=name,
    )


def _check_known(block: dict[str, Any], known: tuple[str, ...], prefix: str, name: str) -> None:
    for key in block:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; known keys: {', '.join(known)}"
            raise ConfigError(f"unknown key{hint}", key=f"{prefix}.{key}", source=name)


def _require(block: dict[str, Any], key: str, prefix: str, name: str) -> Any:
    if key not in block:
        raise ConfigError("missing key", key=f"{prefix}.{key}", source=name)
    return block[key]


def _parse_chunked(block: Any, prefix: str, name: str) -> ChunkedAttentionSettings:
    if not isinstance(block, dict):
        raise ConfigError(f"must be a mapping, got {block!r}", key=prefix, source=name)
    _check_known(block, _CHUNK_KEYS, prefix, name)
    values = {k: _require(block, k, prefix, name) for k in _CHUNK_KEYS[:5]}
    values["chunkwise_prob"] = block.get("chunkwise_prob", 1.0)
    values["left_constrain_prob"] = block.get("left_constrain_prob", 1.0)
    try:
        check_sampler_values(**values)
    except ConfigError as exc:
        raise ConfigError(exc.detail, key=f"{prefix}.{exc.key}", source=name) from None
    eval_block = _require(block, "eval", prefix, name)
    if not isinstance(eval_block, dict):
        raise ConfigError(
            f"must be a mapping with chunk_size and context_sec, got {eval_block!r}",
            key=f"{prefix}.eval",
            source=name,
        )
    _check_known(eval_block, _EVAL_KEYS, f"{prefix}.eval", name)
    eval_chunk = _require(eval_block, "chunk_size", f"{prefix}.eval", name)
    eval_context = _require(eval_block, "context_sec", f"{prefix}.eval", name)
    try:
        check_chunk_size(eval_chunk)
    except ValueError:
        raise ConfigError(
            f"must be null (full context) or an integer >= 1, got {eval_chunk!r}",
            key=f"{prefix}.eval.chunk_size",
            source=name,
        ) from None
    if eval_context is not None and (is_bad_number(eval_context) or eval_context < 0):
        raise ConfigError(
            f"must be null (unlimited) or a finite number of seconds >= 0, got {eval_context!r}",
            key=f"{prefix}.eval.context_sec",
            source=name,
        )
    return ChunkedAttentionSettings(
        **values, eval_chunk_size=eval_chunk, eval_context_sec=eval_context
    )


def _parse_model(data: dict[str, Any], name: str) -> ModelSettings | None:
    model = data.get("model")
    block = model.get("transformer") if isinstance(model, dict) else None
    if block is None:
        return None
    prefix = "model.transformer"
    if not isinstance(block, dict):
        raise ConfigError(f"must be a mapping, got {block!r}", key=prefix, source=name)
    _check_known(block, _MODEL_REQUIRED + _MODEL_OPTIONAL, prefix, name)
    values: dict[str, Any] = {k: _require(block, k, prefix, name) for k in _MODEL_REQUIRED}

    def positive_int(key: str, value: Any, minimum: int = 1) -> int:
        if not is_int(value) or value < minimum:
            raise ConfigError(
                f"must be an integer >= {minimum}, got {value!r}", key=key, source=name
            )
        return int(value)

    features = values["features_list"]
    if not isinstance(features, list) or not features:
        raise ConfigError(
            f"must be a non-empty list of feature counts, got {features!r}",
            key=f"{prefix}.features_list",
            source=name,
        )
    values["features_list"] = tuple(positive_int(f"{prefix}.features_list", f) for f in features)
    for key in _MODEL_REQUIRED[1:]:
        values[key] = positive_int(f"{prefix}.{key}", values[key])
    n_days = block.get("nDays")
    values["nDays"] = None if n_days is None else positive_int(f"{prefix}.nDays", n_days)
    softsign = block.get("day_softsign", False)
    if not isinstance(softsign, bool):
        raise ConfigError(
            f"must be true or false, got {softsign!r}", key=f"{prefix}.day_softsign", source=name
        )
    values["day_softsign"] = softsign
    dim = block.get("dim")
    values["dim"] = None if dim is None else positive_int(f"{prefix}.dim", dim)
    if "nClasses" not in data:
        raise ConfigError(
            "missing top-level key (the model block needs it)", key="nClasses", source=name
        )
    values["nClasses"] = positive_int("nClasses", data["nClasses"])
    for key, default in _TOP_MODEL_KEYS.items():
        value = data.get(key, default)
        if key == "num_masks":
            values[key] = positive_int(key, value, minimum=0)
        elif is_bad_number(value) or not 0 <= value < 1:
            raise ConfigError(f"must be a number in [0, 1), got {value!r}", key=key, source=name)
        else:
            values[key] = float(value)
    return ModelSettings(**values)
