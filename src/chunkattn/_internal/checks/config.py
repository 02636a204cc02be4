"""The ``config.*`` checks (SPEC section 3): loading, eval config, defaults, error messages, and
the target's sampler run on the config in force (CONFIG, or the embedded default)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import strategies as st

from chunkattn._internal.checks.sampler import draw_configs, sampler_probabilities, sampler_ranges
from chunkattn._internal.contract.config import SAMPLER_KEYS
from chunkattn._internal.contract.core import ConfigError
from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.contract.reference import reference_context_chunks
from chunkattn._internal.engine import strategies as cs
from chunkattn._internal.engine.cases import SAMPLER_FIELDS, SEED, Cases
from chunkattn._internal.engine.registry import Case, CheckContext, CheckFailure, register
from chunkattn._internal.engine.schema import Float, Int, OneOf, Optional, Record
from chunkattn._internal.impl.sampler import ChunkConfigSampler

_TRAINER_KEYS = {
    "outputDir": "/data/outputs/",
    "batchSize": 64,
    "learning_rate": 0.001,
    "nClasses": 40,
    "wandb": {"project": "example"},
}
_UPSTREAM_TRANSFORMER = {
    "name": "Transformer",
    "features_list": [512],
    "samples_per_patch": 4,
    "n_heads": 6,
    "mlp_dim_ratio": 4,
    "dim_head": 64,
    "depth": 5,
    "nDays": None,
    "day_softsign": False,
}
_BLOCK_KEYS = SAMPLER_KEYS


def _fail(message: str) -> None:
    raise CheckFailure(message)


#: the eval block's chunk sizes and context times (seconds, two decimals) the config checks write
_EVAL_MAX_CHUNK, _EVAL_MAX_CONTEXT = 32, "20"


@st.composite
def _block_cases(draw) -> Case:
    case = draw(cs.sampler_cases())
    case.pop("seed")
    case["eval_chunk_size"] = draw(st.one_of(st.none(), st.integers(1, _EVAL_MAX_CHUNK)))
    case["eval_context_sec"] = draw(
        st.one_of(st.none(), cs.decimal_floats("0", _EVAL_MAX_CONTEXT, 2))
    )
    case["layout"] = draw(st.sampled_from(["top", "upstream"]))
    case["omit_probabilities"] = draw(st.booleans())
    return case


#: a config check's case: the sampler block (no seed), its eval block, and the file's layout
_BLOCKS = Cases(
    _block_cases(),
    Record(
        {
            **{k: v for k, v in SAMPLER_FIELDS.items() if k != "seed"},
            "eval_chunk_size": Optional(Int(1, _EVAL_MAX_CHUNK)),
            "eval_context_sec": Optional(Float(0.0, float(_EVAL_MAX_CONTEXT))),
            "layout": OneOf("top", "upstream"),
            "omit_probabilities": OneOf(False, True),
        }
    ),
)


def _document(case: Case) -> dict:
    block = {k: case[k] for k in _BLOCK_KEYS}
    if case.get("omit_probabilities"):
        del block["chunkwise_prob"], block["left_constrain_prob"]
    block["eval"] = {"chunk_size": case["eval_chunk_size"], "context_sec": case["eval_context_sec"]}
    if case["layout"] == "top":
        return {**_TRAINER_KEYS, "chunked_attention": block}
    transformer = {**_UPSTREAM_TRANSFORMER, "chunked_attention": block}
    return {**_TRAINER_KEYS, "model": {"gru": {"nUnits": 1024}, "transformer": transformer}}


def _write(directory: str, text: str) -> Path:
    path = Path(directory) / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@register("config.loads", _BLOCKS, needs="own")
def config_loads(ctx: CheckContext, case: Case) -> None:
    """A block at the top level or at model.transformer.chunked_attention loads as written."""
    document = _document(case)
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_config(_write(tmp, yaml.safe_dump(document))).chunked
    for key in _BLOCK_KEYS:
        want = 1.0 if case["omit_probabilities"] and key.endswith("_prob") else case[key]
        if getattr(loaded, key) != want:
            _fail(f"{key}: wrote {want!r}, loaded {getattr(loaded, key)!r}")


@register("config.eval", _BLOCKS, needs="own")
def config_eval(ctx: CheckContext, case: Case) -> None:
    """The eval block gives the fixed eval config: null -> full / unlimited, else the exact ceil."""
    for settings in (load_config(_document(case)).chunked, ctx.config.chunked):
        got = settings.eval_config()
        chunk, seconds = settings.eval_chunk_size, settings.eval_context_sec
        if chunk is None:
            want = (None, None)
        elif seconds is None:
            want = (chunk, None)
        else:
            want = (chunk, reference_context_chunks(seconds, settings.timestep_duration_sec, chunk))
        if (got.chunk_size, got.context_chunks) != want:
            _fail(
                f"eval {{chunk_size: {chunk}, context_sec: {seconds}}} gave {got}, expected {want}"
            )


@register(
    "config.defaults",
    _BLOCKS.setting(omit_probabilities=True),
    needs="own",
)
def config_defaults(ctx: CheckContext, case: Case) -> None:
    """Absent probabilities default to 1.0 in the settings and in the sampler built from them."""
    settings = load_config(_document(case)).chunked
    if (settings.chunkwise_prob, settings.left_constrain_prob) != (1.0, 1.0):
        _fail(
            f"absent probabilities loaded as {settings.chunkwise_prob}, {settings.left_constrain_prob}"
        )
    for chunk, context in draw_configs(ChunkConfigSampler.from_settings(settings, seed=0), 100):
        if chunk is None or context is None:
            _fail(f"sampler with default probabilities drew ({chunk}, {context})")


_CORRUPTIONS = {
    "infinite chunk_size_max": ("chunk_size_max", lambda b: b.update(chunk_size_max=float("inf"))),
    "missing key": ("timestep_duration_sec", lambda b: b.pop("timestep_duration_sec")),
    "typo'd key": ("chunk_size_mx", lambda b: b.update(chunk_size_mx=b.pop("chunk_size_max"))),
    "probability 1.5": ("chunkwise_prob", lambda b: b.update(chunkwise_prob=1.5)),
    "wrong type": ("context_sec_max", lambda b: b.update(context_sec_max="twenty")),
    "negative context": ("context_sec_min", lambda b: b.update(context_sec_min=-1.0)),
    "NaN timestep": (
        "timestep_duration_sec",
        lambda b: b.update(timestep_duration_sec=float("nan")),
    ),
    "eval typo": (
        "eval.chunksize",
        lambda b: b["eval"].update(chunksize=b["eval"].pop("chunk_size")),
    ),
    "not YAML": (None, None),
}


@register(
    "config.errors",
    _BLOCKS.setting(omit_probabilities=False).with_fields(corruption=OneOf(*sorted(_CORRUPTIONS))),
    needs="own",
)
def config_errors(ctx: CheckContext, case: Case) -> None:
    """Every bad file gives one ConfigError line naming the file and the key."""
    key, corrupt = _CORRUPTIONS[case["corruption"]]
    document = _document(case)
    if corrupt is None:
        text = "chunked_attention: {chunk_size_min: 1,\n  chunk_size_max: [unclosed\n"
    else:
        block = (
            document.get("chunked_attention")
            or document["model"]["transformer"]["chunked_attention"]
        )
        corrupt(block)
        text = yaml.safe_dump(document)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, text)
        try:
            load_config(path)
        except ConfigError as exc:
            message = str(exc)
        else:
            _fail(f"{case['corruption']}: the file loaded without error")
    if "\n" in message:
        _fail(f"{case['corruption']}: error is not one line: {message!r}")
    if str(path) not in message:
        _fail(f"{case['corruption']}: error does not name the file: {message!r}")
    if key is not None and key not in message:
        _fail(f"{case['corruption']}: error does not name the key {key}: {message!r}")
    if case["corruption"] == "typo'd key" and "chunk_size_max" not in message:
        _fail(f"typo'd key: error suggests no close key: {message!r}")


@register("config.sampler_matches", Cases.of(SEED), needs="sampler", example_share=0.2)
def config_sampler_matches(ctx: CheckContext, seed: int) -> None:
    """The target's sampler, built from the config in force, draws what the config says."""
    settings = ctx.config.chunked
    case = {**settings.as_dict(), "seed": seed}
    del case["eval"]
    sampler_ranges(ctx, case)
    sampler_probabilities(ctx, case)
