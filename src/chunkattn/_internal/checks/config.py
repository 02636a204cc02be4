"""The ``config.*`` checks (docs/contract.md: Config files): loading, eval config, defaults, error messages, and
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
from chunkattn._internal.engine.target import Capability
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


@register("config.loads", _BLOCKS, needs=Capability.OWN)
def config_loads(ctx: CheckContext, case: Case) -> None:
    """A chunked_attention block loads as written, at the top level or at model.transformer.

    ## What it asserts
    chunkattn's config loader reads a YAML file whose `chunked_attention` block stands either at the
    top level or inside an upstream-style training config at `model.transformer.chunked_attention`
    (see [config files](../contract.md#config-files)). The check writes random valid blocks in both
    layouts, surrounded by trainer keys the loader must ignore (`outputDir`, `batchSize`,
    `learning_rate`, `wandb`, a `model.gru` block), half the time without the two probabilities,
    loads each file and compares every sampler key with what was written (an absent probability
    loads as 1.0). It runs on chunkattn itself only (capability `own`): it checks chunkattn's own
    loader, not a target's.

    ## Why it matters
    The config is the single source of the geometry: the sampler, the model's eval config and the
    report all read it. A loader that finds the block in only one layout, or that reads a key from
    the wrong level, trains with defaults while the file says something else, and nothing complains.

    ## Example failure
    ```
    FAIL  config.loads  1 examples  counterexample: {..., 'layout': 'upstream',
      'omit_probabilities': True}  chunkwise_prob: wrote 1.0, loaded 0.5
    ```
    (Illustrative: a loader whose default for an absent probability is not the sampler's 1.0.)

    ## Catches
    No catalogue module: it guards chunkattn's own loader. It exists for a loader that reads only
    one layout, or applies another default than the sampler's.

    ## How to fix
    Look for the block at both places (and refuse a file that has both), and read an absent
    probability as 1.0, the sampler's default. The error for a missing block names both places it
    looked: `missing key chunked_attention (looked at the top level and at
    model.transformer.chunked_attention)`.
    """
    document = _document(case)
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_config(_write(tmp, yaml.safe_dump(document))).chunked
    for key in _BLOCK_KEYS:
        want = 1.0 if case["omit_probabilities"] and key.endswith("_prob") else case[key]
        if getattr(loaded, key) != want:
            _fail(f"{key}: wrote {want!r}, loaded {getattr(loaded, key)!r}")


@register("config.eval", _BLOCKS, needs=Capability.OWN)
def config_eval(ctx: CheckContext, case: Case) -> None:
    """The eval block gives the fixed eval config: null is full or unlimited, else the exact ceil.

    ## What it asserts
    The `eval: {chunk_size, context_sec}` block of a config gives the one `ChunkConfig` the model
    uses in eval mode: `chunk_size: null` is full context, `ChunkConfig(None, None)`;
    `context_sec: null` is unlimited left context, `ChunkConfig(chunk_size, None)`; otherwise
    `ChunkConfig(chunk_size, ceil(context_sec / timestep_duration_sec / chunk_size))` computed
    exactly (see [the eval config](../contract.md#the-eval-config)). The check writes random eval
    blocks (`chunk_size` null or 1..32, `context_sec` null or a decimal in 0..20 s) in both layouts,
    and also checks the config in force (your `CONFIG`, or the embedded default, whose eval block
    `{chunk_size: 4, context_sec: 3.2}` gives `ChunkConfig(4, 10)`). chunkattn itself only.

    ## Why it matters
    The eval config is what a paper's numbers and the deployed stream use. Computed with float
    division, `context_sec: 0.56` of 0.08 s patches is 8 chunks instead of 7, so the model is
    evaluated with more context than the stream keeps; `null` read as 0 turns "unlimited" into
    block-diagonal attention at eval time only.

    ## Example failure
    ```
    FAIL  config.eval  1 examples  counterexample: {..., 'timestep_duration_sec': 0.08,
      'eval_chunk_size': 1, 'eval_context_sec': 0.56}  eval {chunk_size: 1, context_sec: 0.56}
      gave ChunkConfig(chunk_size=1, context_chunks=8), expected (1, 7)
    ```
    (Illustrative: eval settings computed with plain float division.)

    ## Catches
    No catalogue module: it guards chunkattn's own settings. The same formula on a target's sampler
    is [`ceil.exact`](ceil.exact.md).

    ## How to fix
    Build the eval config with the exact formula and keep `null` distinct from 0:

    ```python
    if eval_chunk_size is None:
        return ChunkConfig(None, None)
    if eval_context_sec is None:
        return ChunkConfig(eval_chunk_size, None)
    return ChunkConfig(eval_chunk_size, context_chunks_for(eval_context_sec, ts, eval_chunk_size))
    ```
    """
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
    needs=Capability.OWN,
)
def config_defaults(ctx: CheckContext, case: Case) -> None:
    """Absent probabilities default to 1.0, in the loaded settings and in the sampler built from them.

    ## What it asserts
    A `chunked_attention` block without `chunkwise_prob` and `left_constrain_prob` loads with both
    at 1.0, the sampler's own defaults, and a sampler built from those settings
    (`ChunkConfigSampler.from_settings(settings, seed=0)`) draws 100 configs that are all chunked and
    all left-limited. Both layouts; chunkattn itself only.

    ## Why it matters
    The model, the sampler and the report must agree on what an absent key means. A loader that
    defaults a missing probability to 0.5 (or to 0) trains half the steps with full context although
    neither the file nor the sampler's signature says so, and a config copied without those two keys
    silently changes the training mixture.

    ## Example failure
    ```
    FAIL  config.defaults  1 examples  counterexample: {..., 'omit_probabilities': True}
      absent probabilities loaded as 0.5, 1.0
    ```
    (Illustrative: a loader with its own default for `chunkwise_prob`.)

    ## Catches
    No catalogue module: it guards chunkattn's own loader and sampler. It exists for a default
    defined twice (in the loader and in the sampler) that drifts apart.

    ## How to fix
    Define the defaults once and read them from there in the loader, the sampler and the model:
    `block.get("chunkwise_prob", 1.0)` where the sampler's signature says `chunkwise_prob: float =
    1.0`.
    """
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
    needs=Capability.OWN,
)
def config_errors(ctx: CheckContext, case: Case) -> None:
    """Every bad config file gives one ConfigError line naming the file and the key.

    ## What it asserts
    The check writes a valid config in either layout, corrupts it one way, loads it, and requires a
    `ConfigError` whose message is one line, contains the file's path and names the key. The
    corruptions: an infinite `chunk_size_max`; a missing `timestep_duration_sec`; a typo'd key
    (`chunk_size_mx`, whose message must also suggest `chunk_size_max`); a probability of 1.5; a
    wrong type (`context_sec_max: twenty`); a negative `context_sec_min`; a NaN timestep; a typo in
    the eval block (`eval.chunksize`); and a file that is not YAML at all (the file must be named;
    there is no key). chunkattn itself only. The command line turns the error into exit status 2 and
    no traceback.

    ## Why it matters
    A config is edited by hand, copied between projects and overridden from the command line. An
    error that is a traceback from deep in the sampler, or that does not say which file and key,
    costs an hour per typo; a typo'd key that is silently ignored trains with the default instead of
    the value written.

    ## Example failure
    For a bad file, `chunkattn verify` prints the error itself and exits 2:
    ```
    chunkattn: error: /tmp/bad.yaml: chunked_attention.chunk_size_mx: unknown key; did you mean
      chunk_size_max?
    ```
    A failure of the check names the corruption and what was wrong with the message, for example
    `typo'd key: error suggests no close key: '...'`.

    ## Catches
    No catalogue module: it guards chunkattn's own loader. It exists for a loader that lets a key
    through unchecked, or whose errors lose the file or the key.

    ## How to fix
    Raise `ConfigError(message, key=..., source=path)` from every validation, with the full dotted
    key (`model.transformer.chunked_attention.eval.chunk_size`), check unknown keys against the
    known ones with `difflib.get_close_matches`, and catch YAML errors to re-raise them as one line
    with the file and line number.
    """
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


@register("config.sampler_matches", Cases.of(SEED), needs=Capability.SAMPLER, example_share=0.2)
def config_sampler_matches(ctx: CheckContext, seed: int) -> None:
    """The target's sampler, built from the config in force, draws what that config says.

    ## What it asserts
    The checks [`sampler.ranges`](sampler.ranges.md) and
    [`sampler.probabilities`](sampler.probabilities.md), run on the target's `ChunkConfigSampler`
    built from the `chunked_attention` block of the config in force (the `CONFIG` argument of
    `chunkattn verify`, else the embedded default), with seeds drawn by Hypothesis. Every draw lies
    in the configured ranges (context bounds with the draw's own chunk size), and both
    probabilities are what the file says. It runs on any target with a sampler.

    ## Why it matters
    The property checks draw their own sampler arguments; this one uses yours. A sampler that is
    right in general can still be wrong for your values (a chunk range that a fast path treats
    specially, probabilities at exactly 0 or 1, a patch duration where float division drifts), and
    those values are the ones you train with.

    ## Example failure
    ```
    FAIL  config.sampler_matches  100 examples  counterexample: 0  draw 2: context_chunks 5
      outside [6, 36], the range for chunk_size 7 and context_sec in [3, 20]
    ```
    The counterexample is the sampler's seed; the message is the sampler check's that failed.

    ## Catches
    Every catalogue sampler bug that `sampler.ranges` or `sampler.probabilities` catches fails it
    too when the config's values reach the bug, for example
    `tests/impls/bug_stale_chunk_for_context.py` on the embedded default.

    ## How to fix
    Read the message as the named sampler check's and fix that (see
    [`sampler.ranges`](sampler.ranges.md), [`sampler.probabilities`](sampler.probabilities.md)); then
    rerun `chunkattn verify --impl YOUR_MODULE YOUR_CONFIG -k config.sampler_matches`.
    """
    settings = ctx.config.chunked
    case = {**settings.as_dict(), "seed": seed}
    del case["eval"]
    sampler_ranges(ctx, case)
    sampler_probabilities(ctx, case)
