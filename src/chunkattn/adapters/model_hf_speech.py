"""Hugging Face transformers' streaming speech encoders as model targets (docs/contract.md: Model targets; What a model declares it reaches
and 11): SeamlessM4T v2's conformer speech encoder and Phi-4-multimodal's audio encoder, built
from small random-initialized configs (no download).

Library: ``transformers`` (``SeamlessM4Tv2Config`` and ``SeamlessM4Tv2SpeechEncoder``, public
classes of ``transformers.models.seamless_m4t_v2.modeling_seamless_m4t_v2``; no adapter
(``add_adapter=False``), so one output a frame).
Mapping (``SeamlessM4Tv2ConformerEncoder._apply_chunk_attention``): a frame in chunk ``qc``
sees keys from ``max(0, qc - left_chunk_num) * chunk_size`` up to the end of its own chunk:
``C = speech_encoder_chunk_size``, ``L = speech_encoder_left_chunk_num`` (negative:
unlimited, ``None``), full inside the chunk, one frame a token (``samples_per_patch = 1``).
Every conformer layer also runs a causal depthwise convolution (left padding ``K - 1``):
``left_reach = conv_depthwise_kernel_size - 1``. ``lengths`` become the ``attention_mask``
(the encoder zeroes padded frames before the convolution). No stream: transformers has no
incremental speech encoding.

Phi-4-multimodal (``Phi4MultimodalAudioConfig`` and ``Phi4MultimodalAudioModel``, public classes
of ``transformers.models.phi4_multimodal.modeling_phi4_multimodal``): a NeMo-style subsampling
front end (three stride-2 convolutions, kernel 3, padding 1: ``time_reduction = 8`` frames a
token, ``samples_per_patch = 8``), then conformer blocks whose attention is limited by
``_streaming_mask`` / ``adaptive_enc_mask``: a token in chunk ``qc`` sees the chunks
``qc - left_chunk .. qc``: ``C = chunk_size`` (tokens), ``L = left_chunk``, full inside the
chunk; the depthwise convolution is causal (padding ``K - 1``, the right ``K - 1`` outputs cut):
``left_reach = kernel_size - 1``. The front end reads frames ``8t - 7 .. 8t + 7`` for token
``t``: nothing past its patch (``lookahead_frames = 0``), but 7 frames into the previous token:
``lookbehind_frames = 7`` (chunkattn's extension of the declarations for such a front end).
``lengths`` become its frame ``mask``.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

from chunkattn.adapters._common import Library
from chunkattn.adapters._models import key_padding, seeded, trained_as

LIBRARY = "transformers"
KIND = "model"
_LIB = Library("transformers", "transformers")
available, version = _LIB.available, _LIB.version

FEATURES = 6
PHI4_FEATURES = 8


def _seamless(seed: int, implementation: str) -> SimpleNamespace:
    import torch
    from transformers import SeamlessM4Tv2Config
    from transformers.models.seamless_m4t_v2.modeling_seamless_m4t_v2 import (
        SeamlessM4Tv2SpeechEncoder,
    )

    rng = random.Random(seed)
    chunk, left, kernel = (
        (2, 1, 3)
        if seed == 0
        else (rng.randint(1, 3), rng.choice([-1, 0, 1, 2]), rng.choice([3, 5]))
    )
    config = SeamlessM4Tv2Config(
        hidden_size=16,
        speech_encoder_layers=2,
        speech_encoder_attention_heads=2,
        speech_encoder_intermediate_size=32,
        feature_projection_input_dim=FEATURES,
        conv_depthwise_kernel_size=kernel,
        add_adapter=False,
        speech_encoder_chunk_size=chunk,
        speech_encoder_left_chunk_num=left,
        left_max_position_embeddings=8,
        right_max_position_embeddings=4,
        initializer_range=0.2,
        speech_encoder_dropout=0.0,
        speech_encoder_layerdrop=0.0,
    )
    model = seeded(
        seed,
        lambda: SeamlessM4Tv2SpeechEncoder._from_config(config, attn_implementation=implementation),
    ).eval()

    def run(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = key_padding(lengths, x.shape[1]).long()
        return model(x, attention_mask=mask).last_hidden_state

    return SimpleNamespace(
        **trained_as(model, run),
        features=FEATURES,
        samples_per_patch=1,
        chunk_size=chunk,
        context_chunks=None if left < 0 else left,
        depth=2,
        within_chunk="full",
        left_reach=kernel - 1,
        lookahead_frames=0,
    )


def seamless_m4t_v2_eager(seed: int = 0) -> SimpleNamespace:
    """SeamlessM4T v2's speech encoder, ``attn_implementation="eager"``."""
    return _seamless(seed, "eager")


def seamless_m4t_v2_sdpa(seed: int = 0) -> SimpleNamespace:
    """SeamlessM4T v2's speech encoder, ``attn_implementation="sdpa"``."""
    return _seamless(seed, "sdpa")


def _phi4(seed: int, implementation: str) -> SimpleNamespace:
    import torch
    from transformers import Phi4MultimodalAudioConfig
    from transformers.models.phi4_multimodal.modeling_phi4_multimodal import (
        Phi4MultimodalAudioModel,
    )

    rng = random.Random(seed)
    chunk, left = (2, 1) if seed == 0 else (rng.randint(1, 3), rng.randint(0, 2))
    config = Phi4MultimodalAudioConfig(
        hidden_size=16,
        intermediate_size=32,
        num_blocks=2,
        num_attention_heads=2,
        chunk_size=chunk,
        left_chunk=left,
        ext_pw_out_channel=16,
        depthwise_separable_out_channel=16,
        input_size=PHI4_FEATURES,
        nemo_conv_channels=8,
        time_reduction=8,
        bias_max_distance=16,
        initializer_range=0.2,
    )
    model = seeded(
        seed,
        lambda: Phi4MultimodalAudioModel._from_config(config, attn_implementation=implementation),
    ).eval()

    def run(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return model(x, key_padding(lengths, x.shape[1]))

    return SimpleNamespace(
        **trained_as(model, run),
        features=PHI4_FEATURES,
        samples_per_patch=8,
        chunk_size=chunk,
        context_chunks=left,
        depth=2,
        within_chunk="full",
        left_reach=config.kernel_size - 1,
        lookahead_frames=0,
        lookbehind_frames=7,
    )


def phi4_multimodal_audio_eager(seed: int = 0) -> SimpleNamespace:
    """Phi-4-multimodal's audio encoder, ``attn_implementation="eager"``."""
    return _phi4(seed, "eager")


def phi4_multimodal_audio_sdpa(seed: int = 0) -> SimpleNamespace:
    """Phi-4-multimodal's audio encoder, ``attn_implementation="sdpa"``."""
    return _phi4(seed, "sdpa")


#: factory name -> (variant, mapping), what ``chunkattn survey`` prints for each entry
FACTORIES = {
    f"seamless_m4t_v2_{impl}": (
        f"SeamlessM4T v2 speech encoder (conformer, relative_key), {impl}",
        "C = speech_encoder_chunk_size, L = speech_encoder_left_chunk_num (< 0: None), "
        "left_reach = conv_depthwise_kernel_size - 1",
    )
    for impl in ("eager", "sdpa")
} | {
    f"phi4_multimodal_audio_{impl}": (
        f"Phi-4-multimodal audio encoder (NeMo subsampling x8, conformer), {impl}",
        "samples_per_patch = time_reduction = 8, C = chunk_size tokens, L = left_chunk, "
        "left_reach = kernel_size - 1",
    )
    for impl in ("eager", "sdpa")
}
