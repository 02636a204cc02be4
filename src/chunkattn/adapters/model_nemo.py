"""NVIDIA NeMo's cache-aware streaming conformer (``ConformerEncoder``, FastConformer's and
Parakeet's encoder) as model targets (docs/contract.md: Model targets; Adapters), built from small
random-initialised configs on the CPU (no download).

Library: ``nemo-toolkit`` (``nemo.collections.asr.modules.conformer_encoder.ConformerEncoder``,
its ``cache_aware_stream_step`` and ``get_initial_cache_state`` from
``nemo.collections.asr.parts.mixins.streaming.StreamingEncoder``, and its ``streaming_cfg``).
The input is ``(B, frames, features)``, handed to NeMo as ``(B, features, frames)``; the output
``(B, d_model, tokens)`` is read back as ``(B, tokens, d_model)``.

Mapping (``ConformerEncoder._create_masks`` and ``_calc_context_sizes``):

- ``att_context_style="chunked_limited"``, ``att_context_size=[left, right]``: a token in chunk
  ``qc = t // (right + 1)`` sees the chunks ``qc - left // (right + 1) .. qc``: ``C = right + 1``,
  ``L = left // C`` (``left`` must be a multiple of ``C``: the constructor raises otherwise; a
  ``left`` set later through ``set_default_att_context_size`` is rounded down by the mask),
  full inside the chunk.
- ``att_context_style="regular"`` (and ``self_attention_model="rel_pos_local_attn"``, its
  banded-matmul twin): a token sees ``t - left .. t + right`` in every layer: ``C = 1``,
  ``L = left`` and ``right_reach = right`` (chunkattn's extension of the declarations: tokens each layer
  reads to the right).
- The convolution module: ``conv_context_size="causal"`` pads ``K - 1`` left, nothing right
  (``left_reach = K - 1``); the default pads ``(K - 1) // 2`` on both sides
  (``left_reach = right_reach += (K - 1) // 2``).
- The ``dw_striding`` front end (``subsampling_factor=4``: ``samples_per_patch = 4``, kernel 3,
  stride 2, twice): token ``t`` reads frames ``4t - 3 .. 4t + 3`` (``lookbehind_frames = 3``);
  with ``causal_downsampling=True`` (left padding ``K - 1``, right ``stride - 1``) it reads
  ``4t - 6 .. 4t`` (``lookbehind_frames = 6``). Nothing past its patch: ``lookahead_frames = 0``.
  The causal front end yields ``frames // 4 + 1`` tokens where the protocol counts
  ``ceil(frames / 4)``: the extra token's patch lies past the input, and it is cut.

The stream (only with the causal convolution and causal downsampling, as NeMo's cache-aware
configs set them: ``setup_streaming_params`` sizes a step as ``1 + 4 * right`` frames whatever
the front end, so a symmetric front end's last token of a step would read 3 frames the step does
not hold) is NeMo's own loop: frames are buffered into the ``chunk_size`` / ``shift_size`` steps of ``streaming_cfg``
with ``pre_encode_cache_size`` frames of the previous input in front, exactly as
``CacheAwareStreamingAudioBuffer`` does, each step run through ``cache_aware_stream_step`` with
the caches ``get_initial_cache_state`` starts (``drop_extra_pre_encoded=0`` on the first step,
as ``simulate_cache_aware_streaming`` does); ``flush`` runs what is left with
``keep_all_outputs=True`` (fewer frames than ``get_sampling_frames()`` are left out, as the
buffer leaves them). ``state_size`` is the caches' and the buffer's size.

Multi-lookahead training (``att_context_size`` a list with ``att_context_probs``) is a sampler:
:func:`chunkattn.adapters.sampler_nemo.check_sampler` checks what it draws.
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

from chunkattn.adapters._common import Library
from chunkattn.adapters._models import seeded, trained_as

LIBRARY = "nemo"
KIND = "model"
#: ``chunkattn survey --workers N`` surveys these entries in one worker process: importing NeMo
#: (about 13 s) is most of what they cost, and is then paid once
SURVEY_TOGETHER = True
_LIB = Library("nemo-toolkit", "nemo.collections.asr.modules.conformer_encoder")
available, version = _LIB.available, _LIB.version

FEATURES = 8
D_MODEL = 16
SUBSAMPLING = 4


def _quiet() -> None:
    """NeMo logs a warning or two per model built; the checks build hundreds."""
    import logging

    from nemo.utils import logging as nemo_logging

    nemo_logging.setLevel(logging.ERROR)


def encoder_options(variant: str, seed: int) -> dict[str, Any]:
    """The ``ConformerEncoder`` keyword arguments of ``variant`` for ``seed`` (seed 0 fixed):
    what the factory builds, and what a reproduction script writes out."""
    rng = random.Random(seed)
    options: dict[str, Any] = {
        "feat_in": FEATURES,
        "n_layers": 2,
        "d_model": D_MODEL,
        "n_heads": 2,
        "ff_expansion_factor": 2,
        "subsampling": "dw_striding",
        "subsampling_factor": SUBSAMPLING,
        "subsampling_conv_channels": 8,
        "conv_kernel_size": 3,
        "dropout": 0.0,
        "dropout_pre_encoder": 0.0,
        "dropout_emb": 0.0,
        "dropout_att": 0.0,
    }
    if variant.startswith("chunked_limited"):
        right = 1 if seed == 0 else rng.randint(0, 3)
        left = (2 if seed == 0 else rng.randint(0, 3)) * (right + 1)
        while left == right == 0:  # a token alone with itself: its query has no gradient
            right, left = rng.randint(0, 3), rng.randint(0, 3)
            left *= right + 1
        if variant in ("chunked_limited_causal_conv", "chunked_limited_causal_wide") and seed == 0:
            left, right = 8, 3
        options |= {"att_context_style": "chunked_limited", "att_context_size": [left, right]}
    else:
        left, right = (4, 1) if seed == 0 else (rng.randint(0, 6), rng.randint(0, 2))
        while variant == "rel_pos_local_attn" and max(left, right) < 1:  # NeMo requires a window
            left, right = rng.randint(0, 6), rng.randint(0, 2)
        options |= {"att_context_style": "regular", "att_context_size": [left, right]}
        if variant == "rel_pos_local_attn":
            options["self_attention_model"] = "rel_pos_local_attn"
    causal_conv = variant in _CAUSAL_CONV
    if causal_conv:
        options["conv_context_size"] = "causal"
    options["causal_downsampling"] = variant in _STREAMED
    return options


#: the variants with NeMo's causal convolution, and those also with its causal downsampling
#: (the two NeMo's cache-aware streaming configs set; only these are streamed)
_STREAMED = ("chunked_limited_causal", "chunked_limited_causal_wide")
_CAUSAL_CONV = (*_STREAMED, "chunked_limited_causal_conv", "regular")


def _declared(options: dict[str, Any]) -> dict[str, Any]:
    """The geometry ``options`` claim, from NeMo's documented semantics (module docstring)."""
    left, right = options["att_context_size"]
    kernel = options["conv_kernel_size"]
    causal_conv = options.get("conv_context_size") == "causal"
    conv_left, conv_right = (kernel - 1, 0) if causal_conv else ((kernel - 1) // 2,) * 2
    if options["att_context_style"] == "chunked_limited":
        chunk, context, attn_right = right + 1, left // (right + 1), 0
    else:
        chunk, context, attn_right = 1, left, right
    return {
        "chunk_size": chunk,
        "context_chunks": context,
        "depth": options["n_layers"],
        "left_reach": conv_left,
        "right_reach": attn_right + conv_right,
        "lookbehind_frames": 6 if options["causal_downsampling"] else 3,
        "lookahead_frames": 0,
        "within_chunk": "full",
        "samples_per_patch": SUBSAMPLING,
        "features": FEATURES,
    }


def build_encoder(options: dict[str, Any], seed: int) -> Any:
    from nemo.collections.asr.modules.conformer_encoder import ConformerEncoder

    _quiet()
    return seeded(seed, lambda: ConformerEncoder(**options)).eval()


class CacheAwareStream:
    """NeMo's cache-aware streaming of ``encoder`` fed any split of frames (module docstring)."""

    def __init__(self, encoder: Any) -> None:
        import torch

        self.encoder, self.cfg = encoder, encoder.streaming_cfg
        self.cache = encoder.get_initial_cache_state(batch_size=1)
        self.pending = torch.zeros(0, FEATURES)  # frames not yet stepped over
        self.history = torch.zeros(0, FEATURES)  # the frames before them (pre-encode cache)
        self.step_num, self.fed, self.emitted = 0, 0, 0

    @staticmethod
    def _at(value: Any, first: bool) -> int:
        return int(value[0 if first else 1]) if isinstance(value, list) else int(value)

    def _step(self, frames: Any, keep_all: bool) -> Any:
        import torch

        first = self.step_num == 0
        want = self._at(self.cfg.pre_encode_cache_size, first)
        if first:
            pre = torch.zeros(want, FEATURES)
        else:
            pre = self.history[-want:] if want else self.history[:0]
            pre = torch.cat([torch.zeros(want - pre.shape[0], FEATURES), pre])
        chunk = torch.cat([pre, frames])
        with torch.no_grad():
            out, _, *cache = self.encoder.cache_aware_stream_step(
                processed_signal=chunk.T[None],
                processed_signal_length=torch.tensor([chunk.shape[0]]),
                cache_last_channel=self.cache[0],
                cache_last_time=self.cache[1],
                cache_last_channel_len=self.cache[2],
                keep_all_outputs=keep_all,
                drop_extra_pre_encoded=0 if first else self.cfg.drop_extra_pre_encoded,
            )
        self.cache = tuple(cache)
        self.step_num += 1
        return out[0].T

    def _emit(self, out: Any) -> Any:
        total = -(-self.fed // SUBSAMPLING)  # the protocol's token count so far, at most
        out = out[: max(0, total - self.emitted)]
        self.emitted += out.shape[0]
        return out

    def feed(self, frames: Any) -> Any:
        import torch

        self.encoder.eval()
        frames = frames.to(torch.float32)
        self.pending = torch.cat([self.pending, frames])
        self.fed += frames.shape[0]
        outs = []
        while True:
            first = self.step_num == 0
            size = self._at(self.cfg.chunk_size, first)
            shift = self._at(self.cfg.shift_size, first)
            if self.pending.shape[0] < size:
                break
            outs.append(self._step(self.pending[:size], keep_all=False))
            self.history = torch.cat([self.history, self.pending[:shift]])[-16:]
            self.pending = self.pending[shift:]
        if not outs:
            return torch.zeros(0, D_MODEL)
        return self._emit(torch.cat(outs))

    def flush(self) -> Any:
        import torch

        sampling = self.encoder.pre_encode.get_sampling_frames()
        if self.pending.shape[0] < self._at(sampling, self.step_num == 0):
            return torch.zeros(0, D_MODEL)  # as NeMo's buffer: too few frames for a token
        out = self._step(self.pending, keep_all=True)
        self.pending = self.pending[:0]
        return self._emit(out)

    def state_size(self) -> int:
        caches = sum(int(c.numel()) for c in self.cache[:2])
        return caches + int(self.history.shape[0]) + int(self.pending.shape[0])


def build_target(variant: str, seed: int = 0) -> SimpleNamespace:
    import torch

    options = encoder_options(variant, seed)
    encoder = build_encoder(options, seed)
    declared = _declared(options)

    def run(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        y, _ = encoder(audio_signal=x.transpose(1, 2), length=lengths)
        return y.transpose(1, 2)[:, : -(-x.shape[1] // SUBSAMPLING)]

    target = SimpleNamespace(**trained_as(encoder, run), **declared)
    if variant in _STREAMED:
        target.stream = lambda: CacheAwareStream(encoder)
    return target


def chunked_limited_causal(seed: int = 0) -> SimpleNamespace:
    """``chunked_limited``, causal convolution and causal downsampling (FastConformer's
    cache-aware streaming setup); NeMo's cache-aware stream."""
    return build_target("chunked_limited_causal", seed)


def chunked_limited_causal_wide(seed: int = 0) -> SimpleNamespace:
    """As :func:`chunked_limited_causal` with ``att_context_size=[8, 3]`` (chunks of 4 tokens)
    for seed 0; NeMo's cache-aware stream."""
    return build_target("chunked_limited_causal_wide", seed)


def chunked_limited_causal_conv(seed: int = 0) -> SimpleNamespace:
    """``chunked_limited`` with the causal convolution, the default (symmetric) downsampling;
    NeMo's cache-aware stream."""
    return build_target("chunked_limited_causal_conv", seed)


def chunked_limited(seed: int = 0) -> SimpleNamespace:
    """``chunked_limited`` with NeMo's default (symmetric) convolution and downsampling."""
    return build_target("chunked_limited", seed)


def regular(seed: int = 0) -> SimpleNamespace:
    """``regular`` style: a window ``[left, right]`` in every layer, causal convolution."""
    return build_target("regular", seed)


def rel_pos_local_attn(seed: int = 0) -> SimpleNamespace:
    """``self_attention_model="rel_pos_local_attn"``: the window as a banded matmul."""
    return build_target("rel_pos_local_attn", seed)


def repro_build(factory: str, seed: int, target: Any = None) -> Any:
    """The lines a reproduction script builds ``factory``'s encoder with, in NeMo's own terms
    (:mod:`chunkattn.adapters.repro`): the same options and seed, the same forward and, when
    streamed, this module's :class:`CacheAwareStream` (NeMo's own calls, torch only)."""
    import inspect

    from chunkattn.adapters.repro import Build

    options = encoder_options(factory, seed)
    source = (
        "import logging\nfrom typing import Any\n\n"
        "from nemo.collections.asr.modules.conformer_encoder import ConformerEncoder\n"
        "from nemo.utils import logging as nemo_logging\n\n"
        "nemo_logging.setLevel(logging.ERROR)\n"
        f"FEATURES, D_MODEL, SUBSAMPLING = {FEATURES}, {D_MODEL}, {SUBSAMPLING}\n"
        f"torch.manual_seed({seed})  # NeMo initialises from torch's global generator\n"
        f"encoder = ConformerEncoder(**{options!r}).eval()\n\n\n"
        "def forward(x, lengths):\n"
        '    """(B, frames, features) in, (B, tokens, d_model) out: ceil(frames / 4) tokens."""\n'
        "    with torch.no_grad():\n"
        "        y, _ = encoder(audio_signal=x.transpose(1, 2), length=lengths)\n"
        "    return y.transpose(1, 2)[:, : -(-x.shape[1] // SUBSAMPLING)]\n"
    )
    if factory in _STREAMED:
        source += (
            "\n\n" + inspect.getsource(CacheAwareStream) + "\n\n"
            "def stream():\n    return CacheAwareStream(encoder)\n"
        )
    return Build("nemo-toolkit", source, f"NeMo ConformerEncoder ({factory}, seed {seed})")


_CHUNKED = "C = right + 1, L = left // C (att_context_size=[left, right])"
_WINDOW = "C = 1, L = left, right_reach = right (+ (K-1)//2 without causal conv)"

#: factory name -> (variant, mapping), what ``chunkattn survey`` prints for each entry
FACTORIES = {
    "chunked_limited_causal": (
        "ConformerEncoder chunked_limited [4, 1], conv causal, causal_downsampling; "
        "cache_aware_stream_step stream",
        f"{_CHUNKED}, left_reach = K - 1, lookbehind_frames = 6, samples_per_patch = 4",
    ),
    "chunked_limited_causal_wide": (
        "ConformerEncoder chunked_limited [8, 3], conv causal, causal_downsampling; "
        "cache_aware_stream_step stream",
        f"{_CHUNKED}, left_reach = K - 1, lookbehind_frames = 6, samples_per_patch = 4",
    ),
    "chunked_limited_causal_conv": (
        "ConformerEncoder chunked_limited [8, 3], conv causal, symmetric downsampling "
        "(not streamed: NeMo's streaming_cfg presumes causal_downsampling)",
        f"{_CHUNKED}, left_reach = K - 1, lookbehind_frames = 3, samples_per_patch = 4",
    ),
    "chunked_limited": (
        "ConformerEncoder chunked_limited [2, 1], symmetric conv and downsampling",
        f"{_CHUNKED}, left_reach = right_reach = (K - 1) // 2, lookbehind_frames = 3",
    ),
    "regular": (
        "ConformerEncoder regular [4, 1] (window in every layer), conv causal",
        f"{_WINDOW}, left_reach = K - 1, lookbehind_frames = 3",
    ),
    "rel_pos_local_attn": (
        "ConformerEncoder rel_pos_local_attn [4, 1], symmetric conv",
        f"{_WINDOW}, left_reach = (K - 1) // 2, lookbehind_frames = 3",
    ),
}
