"""lucidrains' local-attention (``LocalAttention`` and ``LocalTransformer``) as model targets
(docs/contract.md: Model targets; What a model declares it reaches; Adapters).

Library: ``local-attention`` (public API: ``local_attention.LocalAttention``,
``local_attention.LocalTransformer``; its ``forward(..., cache=, return_cache=True)`` is the
key/value cache its own ``generate`` uses).
Mapping (``local_attention.py``): queries and keys are bucketed into windows of
``window_size = w`` tokens; a query sees its own window and ``look_backward = b`` windows
before it (``look_forward`` after it, 1 by default when not causal):

- ``LocalAttention(causal=False, look_forward=0)``: ``C = w``, ``L = b``, full inside the
  window (the contract itself); one attention layer, wrapped by fixed random ``q/k/v`` and
  output projections (chunkattn's only code here), ``lengths`` as its key ``mask``.
- ``LocalAttention(causal=True)``: ``C = w``, ``L = b``, causal inside the window
  (``within_chunk = "causal"``: ``bq_t < bq_k`` masked).
- ``exact_windowsize=True`` (with ``causal=True``) adds ``bq_t > bq_k + w*b``: a token-level
  window of ``w*b`` keys before the query, ``C = 1``, ``L = w*b``.
- ``LocalTransformer(causal=True)``: the library's whole model (learned absolute positions,
  ``depth`` layers, its logits as the output) on continuous inputs: ``token_emb`` (a public
  attribute) is replaced by ``nn.Identity`` — with ``num_tokens=None`` the model returns before
  it hands out its cache, so the token path is the one that streams. ``depth`` layers of ``LocalMHA`` (``exact_windowsize``
  defaults to True there: ``C = 1``, ``L = w``; with ``exact_windowsize=False``: ``C = w``,
  ``L = 1``, causal inside). Stream: the library's own cache, one token a step as its
  ``generate`` does (the cached path takes one token at a time), the first token without one.
  ``state_size`` is the cached key tokens summed over layers.

``autopad=True`` everywhere, so any length runs (the library pads to a multiple of ``w`` and
masks the padding when a ``mask`` is given).
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

from chunkattn.adapters._common import Library
from chunkattn.adapters._models import key_padding, seeded, trained_as

LIBRARY = "local-attention"
KIND = "model"
_LIB = Library("local-attention", "local_attention")
available, version = _LIB.available, _LIB.version

FEATURES = 8
OUTPUTS = 6  # LocalTransformer's num_tokens: the width of its logits
HEADS, DIM_HEAD = 2, 4


def _sizes(seed: int) -> tuple[int, int]:
    """Window ``w`` and ``look_backward`` (or depth) for ``seed``; seed 0 fixed."""
    if seed == 0:
        return 2, 1
    rng = random.Random(seed)
    return rng.randint(1, 3), rng.randint(1, 2)


def _attention_layer(seed: int, window: int, look_backward: int, **options: Any) -> Any:
    """``LocalAttention`` between seeded ``q/k/v`` and output projections."""
    import torch
    from local_attention import LocalAttention

    def build() -> Any:
        return torch.nn.ModuleDict(
            {
                "qkv": torch.nn.Linear(FEATURES, 3 * HEADS * DIM_HEAD),
                "out": torch.nn.Linear(HEADS * DIM_HEAD, FEATURES),
                "attn": LocalAttention(
                    window_size=window,
                    look_backward=look_backward,
                    dim=DIM_HEAD,
                    autopad=True,
                    **options,
                ),
            }
        )

    return seeded(seed, build).eval()


def _attention_target(seed: int, **options: Any) -> SimpleNamespace:
    import torch

    window, back = _sizes(seed)
    net = _attention_layer(seed, window, back, **options)
    exact, causal = options.get("exact_windowsize", False), options.get("causal", False)

    def run(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = net["qkv"](x).reshape(b, n, 3, HEADS, DIM_HEAD).permute(2, 0, 3, 1, 4)
        out = net["attn"](q, k, v, mask=key_padding(lengths, n))
        return net["out"](out.transpose(1, 2).reshape(b, n, HEADS * DIM_HEAD))

    return SimpleNamespace(
        **trained_as(net, run),
        features=FEATURES,
        samples_per_patch=1,
        chunk_size=1 if exact else window,
        context_chunks=window * back if exact else back,
        depth=1,
        within_chunk="causal" if causal and not exact else "full",
        left_reach=0,
        lookahead_frames=0,
    )


def attention(seed: int = 0) -> SimpleNamespace:
    """``LocalAttention(causal=False, look_forward=0)``: ``C = w``, ``L = look_backward``."""
    return _attention_target(seed, causal=False, look_forward=0)


def attention_causal(seed: int = 0) -> SimpleNamespace:
    """``LocalAttention(causal=True)``: ``C = w``, ``L = look_backward``, causal inside."""
    return _attention_target(seed, causal=True)


def attention_causal_exact(seed: int = 0) -> SimpleNamespace:
    """``LocalAttention(causal=True, exact_windowsize=True)``: ``C = 1``, ``L = w*b``."""
    return _attention_target(seed, causal=True, exact_windowsize=True)


class CacheStream:
    """``LocalTransformer``'s own key/value cache, fed as its ``generate`` feeds it: one token a
    step, the whole sequence so far passed each time (the model embeds positions for the whole
    sequence, then keeps the last token when it has a cache); the first token without a cache."""

    def __init__(self, net: Any) -> None:
        import torch

        self.net, self.cache, self.seen = net, None, torch.zeros(1, 0, FEATURES)

    def feed(self, frames: Any) -> Any:
        import torch

        outs = []
        with torch.no_grad():
            for token in frames.to(torch.float32):
                self.seen = torch.cat([self.seen, token[None, None]], dim=1)
                out, self.cache = self.net(self.seen, cache=self.cache, return_cache=True)
                outs.append(out[0, -1:])
        return torch.cat(outs) if outs else torch.zeros(0, OUTPUTS)

    def flush(self) -> Any:
        import torch

        return torch.zeros(0, OUTPUTS)  # one token a frame: nothing is pending

    def state_size(self) -> int:
        """Cached key tokens, summed over layers (the sequence ``generate`` keeps besides is
        its input, not the model's state)."""
        return 0 if self.cache is None else sum(int(kv.shape[-2]) for kv in self.cache.cache_kv)


def _transformer_target(seed: int, exact: bool, dynamic_pos_bias: bool = False) -> SimpleNamespace:
    import torch
    from local_attention import LocalTransformer

    window, depth = _sizes(seed)
    if seed == 0:
        window, depth = 3, 2
    net = seeded(
        seed,
        lambda: LocalTransformer(
            num_tokens=OUTPUTS,
            max_seq_len=512,
            dim=FEATURES,
            depth=depth,
            causal=True,
            local_attn_window_size=window,
            dim_head=DIM_HEAD,
            heads=HEADS,
            exact_windowsize=exact,
            use_dynamic_pos_bias=dynamic_pos_bias,
        ),
    ).eval()
    net.token_emb = torch.nn.Identity()  # continuous inputs in place of token ids

    def run(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return net(x, mask=key_padding(lengths, x.shape[1]))

    return SimpleNamespace(
        **trained_as(net, run),
        features=FEATURES,
        samples_per_patch=1,
        chunk_size=1 if exact else window,
        context_chunks=window if exact else 1,
        depth=depth,
        within_chunk="full" if exact else "causal",
        left_reach=0,
        lookahead_frames=0,
        stream=lambda: CacheStream(net),
    )


def transformer(seed: int = 0) -> SimpleNamespace:
    """``LocalTransformer(causal=True)`` (``exact_windowsize`` True, its default):
    ``C = 1``, ``L = local_attn_window_size``; its key/value cache as the stream."""
    return _transformer_target(seed, exact=True)


def transformer_windowed(seed: int = 0) -> SimpleNamespace:
    """``LocalTransformer(causal=True, exact_windowsize=False)``: ``C = w``, ``L = 1``,
    causal inside the window; its key/value cache as the stream."""
    return _transformer_target(seed, exact=False)


def transformer_dynamic_pos_bias(seed: int = 0) -> SimpleNamespace:
    """``LocalTransformer(causal=True, use_dynamic_pos_bias=True)``: as :func:`transformer`
    with its learned relative-position bias in place of rotary embeddings."""
    return _transformer_target(seed, exact=True, dynamic_pos_bias=True)


#: factory name -> (variant, mapping), what ``chunkattn survey`` prints for each entry
FACTORIES = {
    "attention": (
        "LocalAttention(causal=False, look_forward=0)",
        "C = window_size, L = look_backward; q/k/v projections around it",
    ),
    "attention_causal": (
        "LocalAttention(causal=True)",
        "C = window_size, L = look_backward, within_chunk causal",
    ),
    "attention_causal_exact": (
        "LocalAttention(causal=True, exact_windowsize=True)",
        "C = 1, L = window_size * look_backward",
    ),
    "transformer": (
        "LocalTransformer(causal=True), exact_windowsize default True",
        "C = 1, L = local_attn_window_size; its kv cache as the stream",
    ),
    "transformer_windowed": (
        "LocalTransformer(causal=True, exact_windowsize=False)",
        "C = local_attn_window_size, L = 1, within_chunk causal; its kv cache as the stream",
    ),
    "transformer_dynamic_pos_bias": (
        "LocalTransformer(causal=True, use_dynamic_pos_bias=True): no rotary embedding",
        "C = 1, L = local_attn_window_size; its kv cache as the stream",
    ),
}
