"""Upstream-ready reproductions: a failing check's shrunk counterexample as a standalone script.

``chunkattn survey --repro DIR`` and ``chunkattn verify --repro DIR`` write, for every failing
check that has a property template, ``DIR/<target>__<check>.py``: a script that imports only
torch and the library under test (never chunkattn), builds the same small object in the
library's own terms, states the property in a sentence (its docstring and what it prints) and in
an assertion, names the library version the finding was found on, and exits 1 while the finding
holds, 0 once it is fixed.

Two halves compose a script:

- a **builder** (what the object is): a model adapter module's ``repro_build(factory, seed)``
  (or, for the adapters that predate this, the builder registered here in :data:`BUILDERS`),
  returning a :class:`Build` whose ``source`` defines ``forward(x, lengths)`` (``(B, frames,
  features)`` in, ``(B, tokens, ...)`` out) and, when streamed, ``stream()``; a mask adapter's
  defines ``library_mask(T, C, L)`` (a ``(T, T)`` bool tensor: True where query ``q`` may see
  key ``k``). A user's own target (``verify --repro``) is imported by path.
- a **property template** per check (:data:`MODEL_TEMPLATES`, :data:`MASK_TEMPLATES`): the
  sentence and the code of the property, with the counterexample and the declared geometry
  (computed here, written into the script as constants).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "BUILDERS",
    "report_repros",
    "report_verify_repros",
    "MASK_TEMPLATES",
    "MODEL_TEMPLATES",
    "Build",
    "script_for",
    "write_repros",
    "write_verify_repros",
]


@dataclass(frozen=True)
class Build:
    """How a script builds the object under test: ``dist`` is the pip name whose version it
    prints, ``source`` the code (library imports included) defining ``forward`` / ``stream``
    or ``library_mask``."""

    dist: str
    source: str
    title: str


# --------------------------------------------------------------------------- builders


def _seeded(code: str, seed: int) -> str:
    return f"torch.manual_seed({seed})  # the library initialises from torch's global generator\n{code}"


def _hf_speech(factory: str, seed: int, target: Any) -> Build:
    config = target.module.config
    impl = factory.rpartition("_")[2]
    if factory.startswith("seamless"):
        keys = [
            "hidden_size",
            "speech_encoder_layers",
            "speech_encoder_attention_heads",
            "speech_encoder_intermediate_size",
            "feature_projection_input_dim",
            "conv_depthwise_kernel_size",
            "add_adapter",
            "speech_encoder_chunk_size",
            "speech_encoder_left_chunk_num",
            "left_max_position_embeddings",
            "right_max_position_embeddings",
            "initializer_range",
            "speech_encoder_dropout",
            "speech_encoder_layerdrop",
        ]
        kwargs = {k: getattr(config, k) for k in keys}
        source = (
            "from transformers import SeamlessM4Tv2Config\n"
            "from transformers.models.seamless_m4t_v2.modeling_seamless_m4t_v2 import "
            "SeamlessM4Tv2SpeechEncoder\n\n"
            f"config = SeamlessM4Tv2Config(**{kwargs!r})\n"
            + _seeded(
                "model = SeamlessM4Tv2SpeechEncoder._from_config(config, "
                f"attn_implementation={impl!r}).eval()\n",
                seed,
            )
            + "\n\ndef forward(x, lengths):\n"
            "    mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).long()\n"
            "    with torch.no_grad():\n"
            "        return model(x, attention_mask=mask).last_hidden_state\n"
        )
        return Build("transformers", source, f"SeamlessM4T v2 speech encoder ({impl})")
    keys = [
        "hidden_size",
        "intermediate_size",
        "num_blocks",
        "num_attention_heads",
        "chunk_size",
        "left_chunk",
        "ext_pw_out_channel",
        "depthwise_separable_out_channel",
        "input_size",
        "nemo_conv_channels",
        "time_reduction",
        "bias_max_distance",
        "initializer_range",
    ]
    kwargs = {k: getattr(config, k) for k in keys}
    source = (
        "from transformers import Phi4MultimodalAudioConfig\n"
        "from transformers.models.phi4_multimodal.modeling_phi4_multimodal import "
        "Phi4MultimodalAudioModel\n\n"
        f"config = Phi4MultimodalAudioConfig(**{kwargs!r})\n"
        + _seeded(
            "model = Phi4MultimodalAudioModel._from_config(config, "
            f"attn_implementation={impl!r}).eval()\n",
            seed,
        )
        + "\n\ndef forward(x, lengths):\n"
        "    mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]\n"
        "    with torch.no_grad():\n"
        "        return model(x, mask)\n"
    )
    return Build("transformers", source, f"Phi-4-multimodal audio encoder ({impl})")


def _local_attention(factory: str, seed: int, target: Any) -> Build | None:
    if not factory.startswith("transformer"):
        return None  # LocalAttention entries pass; no builder needed yet
    from chunkattn.adapters import model_local_attention as la

    window, depth = (3, 2) if seed == 0 else la._sizes(seed)
    kwargs = {
        "num_tokens": la.OUTPUTS,
        "max_seq_len": 512,
        "dim": la.FEATURES,
        "depth": depth,
        "causal": True,
        "local_attn_window_size": window,
        "dim_head": la.DIM_HEAD,
        "heads": la.HEADS,
        "exact_windowsize": factory != "transformer_windowed",
        "use_dynamic_pos_bias": factory == "transformer_dynamic_pos_bias",
    }
    source = (
        "from local_attention import LocalTransformer\n\n"
        + _seeded(f"net = LocalTransformer(**{kwargs!r}).eval()\n", seed)
        + "net.token_emb = torch.nn.Identity()  # continuous inputs in place of token ids\n\n\n"
        "def forward(x, lengths):\n"
        "    mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]\n"
        "    with torch.no_grad():\n"
        "        return net(x, mask=mask)\n\n\n"
        "class stream:\n"
        '    """The model\'s own key/value cache, fed as its generate() feeds it: one token a\n'
        '    step, the sequence so far passed each time, the first token without a cache."""\n\n'
        "    def __init__(self):\n"
        f"        self.cache, self.seen = None, torch.zeros(1, 0, {la.FEATURES})\n\n"
        "    def feed(self, frames):\n"
        "        outs = []\n"
        "        with torch.no_grad():\n"
        "            for token in frames:\n"
        "                self.seen = torch.cat([self.seen, token[None, None]], dim=1)\n"
        "                out, self.cache = net(self.seen, cache=self.cache, return_cache=True)\n"
        "                outs.append(out[0, -1:])\n"
        f"        return torch.cat(outs) if outs else torch.zeros(0, {la.OUTPUTS})\n\n"
        "    def flush(self):\n"
        f"        return torch.zeros(0, {la.OUTPUTS})\n"
    )
    return Build("local-attention", source, f"local-attention LocalTransformer ({factory})")


_HF_MASK = (
    "from transformers import PretrainedConfig\n"
    "from transformers.masking_utils import {builder}\n\n\n"
    "def library_mask(T, C, L):\n"
    '    """transformers\' own mask, called as a model\'s forward calls it (sdpa, no cache)."""\n'
    "    # {note}\n"
    "    padding = {padding}\n"
    "    config = PretrainedConfig({key}={value})\n"
    '    config._attn_implementation = "sdpa"\n'
    "    total = padding + T\n"
    "    attention = (torch.arange(total) >= padding).long()[None] if padding else None\n"
    "    mask = {builder}(config, torch.zeros(1, total, 1), attention, None)\n"
    "    if mask is None:  # 'use SDPA is_causal': the plain causal mask is what runs\n"
    "        mask = torch.ones(total, total, dtype=torch.bool).tril()[None, None]\n"
    "    return mask[0, 0, padding:, padding:]\n"
)


def _mask_builder(adapter: str) -> Build | None:
    padded = "1 + (T + C) % 5" if adapter.endswith("left_padded") else "0"
    if adapter.startswith("hf_sliding_window"):
        source = _HF_MASK.format(
            builder="create_sliding_window_causal_mask",
            padding=padded.replace("C", "1"),
            key="sliding_window",
            note="transformers' sliding_window counts the current token: W = L + 1",
            value="None if L is None else L + 1",
        )
        return Build("transformers", source, f"transformers sliding-window mask ({adapter})")
    if adapter.startswith("hf_chunked"):
        source = _HF_MASK.format(
            builder="create_chunked_causal_mask",
            padding=padded,
            key="attention_chunk_size",
            note="Llama 4's chunked attention: attention_chunk_size = C, no earlier chunk",
            value="C",
        )
        return Build("transformers", source, f"transformers chunked mask ({adapter})")
    if adapter == "chunk_mask_lib":
        source = (
            "from chunk_mask import chunk_mask\n\n\n"
            "def library_mask(T, C, L):\n"
            '    """WeNet\'s convention: num_left_chunks = L, -1 = unlimited."""\n'
            '    return chunk_mask(T, C, -1 if L is None else L, torch.device("cpu"))\n'
        )
        return Build("chunk-mask", source, "chunk-mask chunk_mask")
    if adapter == "attn_gym_sliding_window":
        source = (
            "from attn_gym.masks import causal_mask, generate_sliding_window\n"
            "from torch.nn.attention.flex_attention import create_mask\n\n\n"
            "def library_mask(T, C, L):\n"
            '    """window_size = L (flash-attention\'s convention: excludes the current token)."""\n'
            "    mod = causal_mask if L is None else generate_sliding_window(L)\n"
            "    return create_mask(mod, 1, 1, T, T)[0, 0]\n"
        )
        return Build("attn-gym", source, "attention-gym generate_sliding_window")
    return None


#: model adapter module -> builder(factory, seed, built target), for the modules that predate
#: ``repro_build`` (a module's own ``repro_build`` wins)
BUILDERS: dict[str, Callable[[str, int, Any], Build | None]] = {
    "model_hf_speech": _hf_speech,
    "model_local_attention": _local_attention,
}


def _own_model_build(spec: str, seed: int) -> Build:
    module, _, factory = spec.rpartition(":")
    path = Path(module)
    if path.suffix == ".py":
        load = (
            "import importlib.util\n\n"
            f"sys.path.insert(0, {str(path.resolve().parent)!r})  # its own imports, as chunkattn ran it\n"
            f"_spec = importlib.util.spec_from_file_location('target_under_test', {str(path.resolve())!r})\n"
            "target_module = importlib.util.module_from_spec(_spec)\n"
            "_spec.loader.exec_module(target_module)\n"
        )
    else:
        load = f"import importlib\n\ntarget_module = importlib.import_module({module!r})\n"
    source = (
        load + f"target = target_module.{factory}(seed={seed})\n"
        "forward = target.forward\n"
        "stream = getattr(target, 'stream', None)\n"
    )
    return Build("", source, f"{spec} (seed {seed})")


def _own_mask_build(impl: str) -> Build:
    path = Path(impl)
    if path.suffix == ".py":
        load = (
            "import importlib.util\n"
            "from types import SimpleNamespace\n\n"
            f"sys.path.insert(0, {str(path.resolve().parent)!r})  # its own imports, as chunkattn ran it\n"
            f"_spec = importlib.util.spec_from_file_location('target_under_test', {str(path.resolve())!r})\n"
            "target_module = importlib.util.module_from_spec(_spec)\n"
            "_spec.loader.exec_module(target_module)\n"
        )
    else:
        load = (
            "import importlib\nfrom types import SimpleNamespace\n\n"
            f"target_module = importlib.import_module({impl!r})\n"
        )
    source = load + (
        "\n\ndef library_mask(T, C, L):\n"
        "    # the module's own config class when it has one (it may call its methods)\n"
        "    make = getattr(target_module, 'ChunkConfig', None)\n"
        "    config = make(chunk_size=C, context_chunks=L) if make else SimpleNamespace(chunk_size=C, context_chunks=L)\n"
        "    mask = target_module.create_dynamic_chunk_mask(T, config)\n"
        "    return mask if mask is None else mask.reshape(-1, T, T)[0]\n"
    )
    return Build("", source, impl)


# --------------------------------------------------------------------------- templates

_MODEL_CONSTANTS = """
C, S, FEATURES = {C}, {S}, {F}  # tokens a chunk, frames a token, input features
FPC, AHEAD = C * S, {AHEAD}  # frames a chunk; frames past its chunk a chunk's outputs may read
ATOL = 1e-5  # float rounding at the outputs' scale (plus 1e-5 of it)
"""


def _gen(seed: int) -> str:
    return f"torch.Generator().manual_seed({seed})"


def _chunk_causality(case: dict[str, Any], model: Any) -> tuple[str, str]:
    chunks = max(case["chunks"], 2)
    cut = 1 + case["cut"] % max(1, case["chunks"] - 1)
    start = cut * model.frames_per_chunk + model.ahead_frames
    sentence = (
        f"Chunked attention promises that output chunk c depends on no input past chunk c and "
        f"the declared lookahead: changing only input frames >= {start} (chunk {cut} on) must not "
        f"change output tokens 0..{cut * model.chunk_size - 1} (chunks 0..{cut - 1})."
    )
    body = f"""
    frames = {chunks} * FPC + AHEAD
    x = torch.randn(1, frames, FEATURES, generator={_gen(case["noise"])})
    lengths = torch.tensor([frames])
    y = forward(x, lengths)
    for seed, scale in (({case["noise"] + 7}, 5.0), ({case["noise"] + 8}, 50.0)):
        x2 = x.clone()
        x2[:, {start}:] += scale * torch.randn(x2[:, {start}:].shape, generator=torch.Generator().manual_seed(seed))
        change = float((forward(x2, lengths) - y)[:, : {cut * model.chunk_size}].abs().max())
        assert change <= 1e-7, (
            f"output tokens before {cut * model.chunk_size} changed by {{change:.3g}} when only "
            f"frames >= {start} changed: a later chunk leaks into an earlier one"
        )
"""
    return sentence, body


def _receptive_field(case: dict[str, Any], model: Any) -> tuple[str, str]:
    from chunkattn._internal.checks.model import RECEPTIVE_FIELD_CAP

    chunks = model.window_chunks(cap=RECEPTIVE_FIELD_CAP)
    promised = [[model.expected_dependence(c, j) for j in range(chunks)] for c in range(chunks)]
    open_cells = [
        (c, j)
        for c in range(chunks)
        for j in range(chunks)
        if model.allows(c, j, True) and model.allows(c, j, False)
    ]
    left = "unlimited" if model.left_span is None else model.left_span
    sentence = (
        f"Output chunk c depends on input chunk j iff c - {left} <= j <= c + {model.right_span} "
        f"(chunks of C={model.chunk_size} tokens of S={model.samples_per_patch} frames; the "
        "geometry the config declares, no more and no less)."
    )
    body = f"""
    chunks = {chunks}
    promised = {promised!r}
    open_cells = {[list(c) for c in open_cells]!r}  # cells the declaration leaves open
    frames = chunks * FPC + AHEAD
    x = torch.randn(1, frames, FEATURES, generator={_gen(case["noise"])})
    lengths = torch.tensor([frames])
    y = forward(x, lengths)
    wrong = []
    for j in range(chunks):
        change = torch.zeros(chunks)
        for seed, scale in (({case["noise"] + 7} + j, 5.0), ({case["noise"] + 8} + j, 50.0)):
            x2 = x.clone()
            x2[:, j * FPC : (j + 1) * FPC] += scale * torch.randn(
                x2[:, j * FPC : (j + 1) * FPC].shape, generator=torch.Generator().manual_seed(seed)
            )
            diff = (forward(x2, lengths) - y)[0].abs().reshape(y.shape[1], -1).amax(-1)
            for c in range(chunks):
                change[c] = max(change[c], float(diff[c * C : (c + 1) * C].max()))
        for c in range(chunks):
            if [c, j] not in open_cells and bool(change[c] > 1e-7) != promised[c][j]:
                wrong.append((c, j, float(change[c])))
    assert not wrong, "(output chunk, input chunk, change) against the promise: " + ", ".join(
        f"{{c}}<-{{j}} {{v:.3g}}" + (" (should not depend)" if not promised[c][j] else " (should depend)")
        for c, j, v in wrong[:8]
    )
"""
    return sentence, body


def _padding_invariance(case: dict[str, Any], model: Any) -> tuple[str, str]:
    lengths, pad = case["lengths"], case["pad"]
    sentence = (
        f"A row's valid outputs are the same alone and in a padded batch: rows of lengths "
        f"{lengths} frames padded to {max(max(lengths) + pad, 1)} with garbage in the padding."
    )
    body = f"""
    g = {_gen(case["noise"])}
    lengths = {lengths!r}
    frames = max(max(lengths) + {pad}, 1)
    x = torch.randn(len(lengths), frames, FEATURES, generator=g)
    for row, length in enumerate(lengths):
        x[row, length:] = 1e3 * torch.randn(x[row, length:].shape, generator=g)  # garbage
    batch = forward(x, torch.tensor(lengths))
    for row, length in enumerate(lengths):
        if length == 0:
            continue
        alone = forward(x[row : row + 1, :length].clone(), torch.tensor([length]))[0]
        valid = -(-length // S)
        diff = float((batch[row, :valid] - alone[:valid]).abs().max())
        assert diff <= ATOL + ATOL * float(alone[:valid].abs().max()), (
            f"row {{row}} (length {{length}} of {{frames}} frames) differs by {{diff:.3g}} alone vs "
            "in the padded batch: padding leaks into valid outputs"
        )
"""
    return sentence, body


def _stream_equivalence(case: dict[str, Any], model: Any) -> tuple[str, str]:
    frames = case["frames"]
    cuts = sorted(min(c, frames) for c in case["cuts"])
    sentence = (
        f"Streaming {frames} frames (pieces cut at {cuts}) through the library's own cache, "
        "then flushing, gives the outputs of one full forward on the whole input."
    )
    body = f"""
    x = torch.randn({frames}, FEATURES, generator={_gen(case["noise"])})
    s = stream()
    bounds = [0, *{cuts!r}, {frames}]
    pieces = [s.feed(x[a:b]) for a, b in zip(bounds, bounds[1:])] + [s.flush()]
    streamed = torch.cat([p.reshape(p.shape[0], -1) for p in pieces if p.shape[0]] or [torch.zeros(0, 1)])
    full = forward(x[None], torch.tensor([{frames}]))[0]
    full = full.reshape(full.shape[0], -1)
    assert streamed.shape == full.shape, (
        f"streaming gave {{tuple(streamed.shape)}} outputs, the forward {{tuple(full.shape)}}"
    )
    diff = (streamed - full).abs().amax(-1)
    worst = float(diff.max()) if diff.numel() else 0.0
    first = int((diff > ATOL).nonzero()[0]) if worst > ATOL else None
    assert worst <= ATOL + ATOL * float(full.abs().max()), (
        f"streamed output differs from the forward by {{worst:.3g}} (first at token {{first}})"
    )
"""
    return sentence, body


def _stream_latency(case: dict[str, Any], model: Any) -> tuple[str, str]:
    chunks = case["chunks"]
    frames = chunks * model.frames_per_chunk + model.ahead_frames
    cuts = sorted({0, frames, *(min(c, frames) for c in case["cuts"])})
    sentence = (
        f"After the frames of k whole chunks (plus the declared {model.ahead_frames} lookahead "
        f"frames) are fed, in pieces cut at {cuts[1:-1]}, the stream has emitted k*C tokens."
    )
    body = f"""
    x = torch.randn({frames}, FEATURES, generator={_gen(case["noise"])})
    s, emitted = stream(), 0
    bounds = {cuts!r}
    for a, b in zip(bounds, bounds[1:]):
        emitted += s.feed(x[a:b]).shape[0]
        due = max(0, (b - AHEAD) // FPC) * C
        assert emitted >= due, f"after {{b}} frames the stream emitted {{emitted}} tokens; {{due}} are due"
    s.flush()
"""
    return sentence, body


def _model_call(case: dict[str, Any], model: Any) -> tuple[str, str]:
    chunks = max(case.get("chunks", 2), 2)
    lengths = case.get("lengths") or [chunks * model.frames_per_chunk + model.ahead_frames]
    sentence = (
        f"The model runs (no exception) on rows of {lengths} frames and returns finite outputs."
    )
    body = f"""
    lengths = {lengths!r}
    x = torch.randn(len(lengths), max(max(lengths), 1), FEATURES, generator={_gen(case["noise"])})
    y = forward(x, torch.tensor(lengths))
    assert torch.isfinite(y).all(), "non-finite outputs"
"""
    return sentence, body


def _bounded_state(case: dict[str, Any], model: Any) -> tuple[str, str]:
    n = model.left_span + model.depth + model.right_span + 2
    piece = case["piece"]
    sentence = (
        f"With a finite left context the stream's state stops growing: its size after {n} chunks "
        f"equals its size after {2 * n} (fed in pieces of {piece} frames)."
    )
    body = f"""
    n, piece = {n}, {piece}
    x = torch.randn(2 * n * FPC, FEATURES, generator={_gen(case["noise"])})
    s, sizes = stream(), []
    for end_chunk in (n, 2 * n):
        for begin in range((end_chunk - n) * FPC, end_chunk * FPC, piece):
            s.feed(x[begin : min(begin + piece, end_chunk * FPC)])
        sizes.append(s.state_size())
    s.flush()
    assert sizes[0] == sizes[1], f"state size {{sizes[0]}} after {{n}} chunks, {{sizes[1]}} after {{2 * n}}"
"""
    return sentence, body


#: check name -> template(case, model target) -> (sentence, body of ``check()``); a check that
#: ended in an error and has none gets :func:`_model_call` (the call that raised)
MODEL_TEMPLATES: dict[str, Callable[[dict[str, Any], Any], tuple[str, str]]] = {
    "model.chunk_causality": _chunk_causality,
    "model.receptive_field": _receptive_field,
    "model.padding_invariance": _padding_invariance,
    "stream.equivalence": _stream_equivalence,
    "stream.latency": _stream_latency,
    "stream.bounded_state": _bounded_state,
}

_MASK_REFERENCE = """
def reference(T, C, L, causal):
    q = torch.arange(T)[:, None]
    k = torch.arange(T)[None, :]
    seen = (k // C <= q // C) & ((k // C >= q // C - L) if L is not None else True)
    return seen & (k <= q) if causal else seen
"""


def _geometry_of(case: dict[str, Any], message: str) -> tuple[int, int, int | None]:
    """``T, C, L`` of a mask counterexample (from the message when the case is a range)."""
    if "seq_len" in case:
        return case["seq_len"], case["chunk_size"], case["context_chunks"]
    found = re.search(r"T=(\d+), C=(\d+), L=(-?\d+|None)", message)
    if not found:
        raise ValueError(f"no geometry in {case} / {message!r}")
    T, C, L = found.groups()
    return int(T), int(C), None if L == "None" else int(L)


def _mask_matches(
    case: dict[str, Any], within: str, message: str = "", monotone: bool = False
) -> tuple[str, str]:
    T, C, L = _geometry_of(case, message)
    causal = within == "causal"
    inside = ", causal inside the chunk" if causal else ""
    sentence = (
        f"For T={T} tokens, chunks of C={C} and L={L} chunks of left context"
        f" ({'unlimited' if L is None else L}), query q sees key k iff k's chunk is q's or one of "
        f"the {L} before it{inside}."
    )
    contexts = [L, None] if monotone and L is not None else [L]
    if monotone:
        sentence += " More left context never hides a key: the same holds with L=None (unlimited)."
    body = f"""
    for L in {contexts!r}:
        got = library_mask({T}, {C}, L)
        want = reference({T}, {C}, L, {causal})
        assert got is not None and tuple(got.shape) == ({T}, {T}), f"L={{L}}: got {{None if got is None else tuple(got.shape)}}"
        bad = (got.bool() != want).nonzero().tolist()
        assert not bad, f"L={{L}}: (query, key) wrong: " + ", ".join(
            f"{{q}},{{k}} {{'hidden' if want[q, k] else 'visible'}}" for q, k in bad[:8]
        )
"""
    return sentence, body


def _mask_rejects(case: dict[str, Any], within: str, message: str) -> tuple[str, str]:
    found = re.search(r"chunk_size=(-?\d+|None), context_chunks=(-?\d+|None)", message)
    if found:
        chunk, left = (None if v == "None" else int(v) for v in found.groups())
    else:  # an error on the first bad value the check tries
        chunk, left = 0, case["context_chunks"]
    T = case["seq_len"]
    sentence = (
        f"A chunk size below 1 or a negative left context is refused with a ValueError: "
        f"chunk_size={chunk}, context_chunks={left} (T={T}) must not return a mask or fail "
        "with another error."
    )
    body = f"""
    try:
        got = library_mask({T}, {chunk}, {left})
    except ValueError:
        return
    except Exception as exc:
        raise AssertionError(f"raised {{type(exc).__name__}}: {{exc}}, not ValueError") from None
    raise AssertionError(f"returned {{None if got is None else tuple(got.shape)}} instead of raising ValueError")
"""
    return sentence, body


#: mask checks with a template (every check comparing the mask with its definition)
MASK_TEMPLATES = (
    "mask.matches_reference",
    "mask.unlimited",
    "mask.left_span",
    "mask.own_chunk",
    "mask.monotone",
    "mask.small_scope",
    "mask.rejects_bad_input",
)


# --------------------------------------------------------------------------- scripts

_SCRIPT = '''#!/usr/bin/env python3
"""{title}: {check}

{sentence}

Found by chunkattn's {check} on {dist} {version} (torch {torch_version}); shrunk counterexample
{case}. Run with plain `python {name}`: exit 1 while the finding holds, 0 once it is fixed.
Imports only torch and the library under test.
"""

import sys

import torch

PROPERTY = {sentence!r}
FOUND_ON = {found_on!r}

{source}
{constants}

def check():
{body}

if __name__ == "__main__":
    try:
        import importlib.metadata

        running = {running}
    except Exception:
        running = "?"
    print(f"found on {{FOUND_ON}}; running {{running}}, torch {{torch.__version__}}")
    print("property:", PROPERTY)
    try:
        check()
    except Exception as exc:
        kind = "" if isinstance(exc, AssertionError) else f"{{type(exc).__name__}}: "
        print(f"FINDING HOLDS: {{kind}}{{exc}}")
        sys.exit(1)
    print("the property holds: fixed")
    sys.exit(0)
'''


def _indent(body: str) -> str:
    return body.strip("\n") + "\n"


def script_for(
    build: Build,
    check: str,
    case: dict[str, Any],
    message: str,
    version: str | None,
    *,
    model: Any = None,
    within: str = "full",
    name: str = "SCRIPT",
    status: str = "fail",
) -> str | None:
    """The script of one failing check, or None when the check has no template."""
    import torch

    if model is not None:
        template = MODEL_TEMPLATES.get(check)
        raised = status == "error" or re.match(
            r"(regression seed failed: )?[A-Z]\w*(Error|Exception): ", message
        )
        if raised and (template is None or check.startswith("model.")):
            template = _model_call  # the finding is that the forward raises
        if template is None:
            return None
        sentence, body = template(case, model)
        constants = _MODEL_CONSTANTS.format(
            C=model.chunk_size,
            S=model.samples_per_patch,
            F=model.features,
            AHEAD=model.ahead_frames,
        )
    else:
        if check not in MASK_TEMPLATES:
            return None
        if check == "mask.rejects_bad_input":
            sentence, body = _mask_rejects(case, within, message)
        else:
            sentence, body = _mask_matches(case, within, message, check == "mask.monotone")
        constants = _MASK_REFERENCE
    dist = build.dist or "the target"
    running = f"importlib.metadata.version({build.dist!r})" if build.dist else "'-'"
    return _SCRIPT.format(
        title=build.title,
        check=check,
        sentence=sentence,
        dist=dist,
        version=version or "?",
        torch_version=torch.__version__.split("+")[0],
        case=json.dumps(case),
        name=name,
        found_on=f"{dist} {version or '?'}",
        source=build.source.rstrip("\n") + "\n",
        constants=constants,
        body=_indent(body),
        running=running if build.dist else "'-'",
    )


def _file_name(target: str, check: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "_", target.rpartition(".")[2] if ":" not in target else target)
    return f"{stem.strip('_')}__{check.replace('.', '_')}.py"


def _adapter_build(name: str, seed: int) -> tuple[Build | None, Any]:
    """An adapter's builder and (model adapters) its built target for ``seed``."""
    from chunkattn.adapters import kind, load

    if kind(name) == "mask":
        return _mask_builder(name), None
    from chunkattn._internal.engine.model_target import as_model_target

    module_name, _, factory = name.partition(":")
    module = load(name)
    raw = getattr(module, factory)(seed=seed)
    target = as_model_target(raw, name)
    own = getattr(module, "repro_build", None)
    builder = own if own is not None else BUILDERS.get(module_name)
    if builder is None:
        return None, target
    return builder(factory, seed, raw), target


def _write(out: Path, file: str, text: str | None, written: list[Path], missing: list[str]) -> None:
    if text is None:
        missing.append(file)
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / file).write_text(text)
    written.append(out / file)


def write_repros(entries: list[dict[str, Any]], out_dir: str) -> tuple[list[Path], list[str]]:
    """For every failing check of the survey ``entries``, its script in ``out_dir``; returns the
    paths written and the ``target check`` pairs no template or builder covers."""
    out, written, missing = Path(out_dir), [], []
    for entry in entries:
        for result in entry.get("checks", []):
            if result["status"] not in ("fail", "error") or not result.get("counterexample"):
                continue
            case = result["counterexample"]
            file = _file_name(entry["adapter"], result["name"])
            try:
                build, model = _adapter_build(entry["adapter"], case.get("seed", 0))
            except Exception as exc:  # the object itself cannot be built: no script
                missing.append(f"{file} (cannot build: {exc.__class__.__name__})")
                continue
            if build is None:
                missing.append(file)
                continue
            within = importlib.import_module("chunkattn.adapters").load(entry["adapter"])
            text = script_for(
                build,
                result["name"],
                case,
                result.get("message", ""),
                entry.get("version"),
                model=model,
                within=getattr(within, "WITHIN_CHUNK", "full"),
                name=file,
                status=result["status"],
            )
            _write(out, file, text, written, missing)
    return written, missing


def write_verify_repros(
    impl: str | None, model_spec: str | None, results: list[Any], out_dir: str, within: str
) -> tuple[list[Path], list[str]]:
    """``verify --repro``: the scripts of a user's own target (imported by path); an adapter
    of this package (``chunkattn.adapters.NAME``) is written as the survey writes it, in its
    library's own terms (a script must not import chunkattn)."""
    from chunkattn.adapters import ADAPTERS, MODEL_ADAPTERS

    prefix = f"{__package__}."
    spec = model_spec or impl or ""
    adapter = spec[len(prefix) :] if spec.startswith(prefix) else None
    if adapter in (*ADAPTERS, *MODEL_ADAPTERS):
        entry = {
            "adapter": adapter,
            "version": getattr(
                importlib.import_module(f"{prefix}{adapter.partition(':')[0]}"),
                "version",
                lambda: None,
            )(),
            "checks": [
                {
                    "name": r.name,
                    "status": r.status,
                    "counterexample": r.counterexample,
                    "message": r.message,
                }
                for r in results
            ],
        }
        return write_repros([entry], out_dir)
    out, written, missing = Path(out_dir), [], []
    for result in results:
        if result.status not in ("fail", "error") or not result.counterexample:
            continue
        case = result.counterexample
        target_name = model_spec or impl or "chunkattn"
        file = _file_name(target_name, result.name)
        model = None
        if model_spec is not None:
            from chunkattn._internal.engine.model_target import load_model_factory

            seed = case.get("seed", 0)
            model = load_model_factory(model_spec)(seed)
            build = _own_model_build(model_spec, seed)
        elif impl is not None:
            build = _own_mask_build(impl)
        else:
            missing.append(file)
            continue
        text = script_for(
            build,
            result.name,
            case,
            result.message,
            None,
            model=model,
            within=within,
            name=file,
            status=result.status,
        )
        _write(out, file, text, written, missing)
    return written, missing


def _report(written: list[Path], missing: list[str], out_dir: str) -> None:
    import sys

    print(f"chunkattn: {len(written)} reproduction scripts in {out_dir}", file=sys.stderr)
    for path in written:
        print(f"  {path}", file=sys.stderr)
    for file in missing:
        print(f"  no script (no template or builder yet): {file}", file=sys.stderr)


def report_repros(entries: list[dict[str, Any]], out_dir: str) -> None:
    """``survey --repro DIR``: write the scripts, list them on stderr (stdout stays the
    report, so ``--json`` is still JSON)."""
    _report(*write_repros(entries, out_dir), out_dir)


def report_verify_repros(
    impl: str | None, model: str | None, results: list[Any], out_dir: str, within: str
) -> None:
    """``verify --repro DIR``: as :func:`report_repros` for a user's own target."""
    _report(*write_verify_repros(impl, model, results, out_dir, within), out_dir)
