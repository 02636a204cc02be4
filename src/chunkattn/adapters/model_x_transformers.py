"""x-transformers' local attention as a model target (docs/contract.md: Model targets; What a model declares it reaches; Adapters).

Library: ``x-transformers`` (public API: ``ContinuousTransformerWrapper``, ``Decoder`` and
its ``attn_max_attend_past``; the cache is the ``LayerIntermediates`` that
``return_intermediates=True`` hands back, fed with ``input_not_include_cache=True`` and
``cache_age`` = the piece's length, the speculative-decoding path, so a piece of several tokens
is one cached forward).
Mapping (``Attention.forward``): ``dist = q - k > max_attend_past`` is masked, so a query sees
``max_attend_past = W`` keys before it and itself: ``C = 1``, ``L = W`` (flash-attention's
convention, the window excludes the current token). ``Decoder`` is causal; ``depth`` layers,
rotary positions. ``lengths`` become ``lens``.
Stream: the library's cache. It keeps every token (``cache_length`` grows with the stream):
x-transformers never says ``max_attend_past`` bounds it, so no ``state_size`` is declared
(a bounded-state check would judge a promise the library does not make).
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

from chunkattn.adapters._common import Library
from chunkattn.adapters._models import seeded, trained_as

LIBRARY = "x-transformers"
KIND = "model"
_LIB = Library("x-transformers", "x_transformers")
available, version = _LIB.available, _LIB.version

FEATURES = 8


class CacheStream:
    """The model's ``LayerIntermediates`` cache, one cached forward a piece."""

    def __init__(self, net: Any) -> None:
        self.net, self.cache = net, None

    def feed(self, frames: Any) -> Any:
        import torch

        n = frames.shape[0]
        if n == 0:
            return torch.zeros(0, FEATURES)
        with torch.no_grad():
            out, self.cache = self.net(
                frames[None].to(torch.float32),
                cache=self.cache,
                input_not_include_cache=True,
                cache_age=n,
                return_intermediates=True,
            )
        return out[0]

    def flush(self) -> Any:
        import torch

        return torch.zeros(0, FEATURES)  # one token a frame: nothing is pending


def decoder(seed: int = 0) -> SimpleNamespace:
    """``Decoder(attn_max_attend_past=W)`` in a ``ContinuousTransformerWrapper``:
    ``C = 1``, ``L = W``; its cache as the stream."""
    import torch
    from x_transformers import ContinuousTransformerWrapper, Decoder

    rng = random.Random(seed)
    window, depth = (3, 2) if seed == 0 else (rng.randint(1, 4), rng.randint(1, 3))
    net = seeded(
        seed,
        lambda: ContinuousTransformerWrapper(
            dim_in=FEATURES,
            dim_out=FEATURES,
            max_seq_len=0,  # no absolute positions: rotary only
            attn_layers=Decoder(
                dim=16,
                depth=depth,
                heads=2,
                attn_dim_head=32,
                attn_max_attend_past=window,
                rotary_pos_emb=True,
                rotary_emb_dim=32,
            ),
        ),
    ).eval()

    def run(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return net(x, lens=lengths)

    return SimpleNamespace(
        **trained_as(net, run),
        features=FEATURES,
        samples_per_patch=1,
        chunk_size=1,
        context_chunks=window,
        depth=depth,
        within_chunk="full",
        left_reach=0,
        lookahead_frames=0,
        stream=lambda: CacheStream(net),
    )


#: factory name -> (variant, mapping), what ``chunkattn survey`` prints for each entry
FACTORIES = {
    "decoder": (
        "Decoder(attn_max_attend_past) in ContinuousTransformerWrapper, rotary",
        "C = 1, L = attn_max_attend_past (excludes the current token); its cache as the stream",
    ),
}
