"""Hugging Face transformers' decoders with windowed or chunked layers, as model targets
(docs/contract.md: Model targets; What a model declares it reaches; Adapters): Mistral, Qwen2, Gemma 3 and Llama 4's text model, built from
small random-initialized configs (no download), each under the attention implementations that
run on the CPU (``eager``, ``sdpa``, ``flex_attention``), with the library's own
``DynamicCache`` as the stream.

Library: ``transformers`` (public API only: ``*Config``, ``*Model._from_config(...,
attn_implementation=...)``, ``DynamicCache(config=...)`` and its ``layers``).
Mapping: a decoder reads ``inputs_embeds``: ``features = hidden_size``, one frame a token
(``samples_per_patch = 1``), the output is ``last_hidden_state``; ``lengths`` become a
right-padding ``attention_mask``. A sliding window of ``W`` tokens counts the current token
(``masking_utils.sliding_window_overlay``: ``kv_idx > q_idx - sliding_window``), so a sliding
layer is ``C = 1``, ``L = W - 1``; a full layer is ``L = None``. Llama 4's chunked layers
(``attention_chunk_size = C``, ``chunked_overlay``) see their own chunk up to the query and no
earlier chunk: ``L = 0`` with ``within_chunk = "causal"``; its NoPE layers are full.
Mixed stacks declare ``context_chunks`` per layer (docs/contract.md: What a model declares it reaches).
Stream: one ``DynamicCache(config=...)`` fed each piece with its absolute ``position_ids``; the
tokens the cache holds (summed over layers) are its ``state_size``. transformers gives sliding
and chunked layers a ``DynamicSlidingWindowLayer`` that keeps ``W - 1`` tokens (its docstring:
``min(seq_len, sliding_window)``), so a correct cache's state is bounded.

The seed picks the weights and, for seeds other than 0, a small geometry (window 2 to 4 tokens,
chunk 2 to 4, depth 1 to 3), so checks that draw seeds explore the corners.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from chunkattn.adapters._common import Library
from chunkattn.adapters._models import trained_as

LIBRARY = "transformers"
KIND = "model"
_LIB = Library("transformers", "transformers")
available, version = _LIB.available, _LIB.version

HIDDEN = 16
IMPLEMENTATIONS = ("eager", "sdpa", "flex_attention")


@dataclass(frozen=True)
class Geometry:
    """One small decoder: ``layers`` holds each layer's kind, ``"window"``, ``"chunked"`` or
    ``"full"``; ``size`` is the window ``W`` or the chunk ``C``."""

    family: str
    layers: tuple[str, ...]
    size: int

    def context_chunks(self) -> int | None | list[int | None]:
        per_layer = [
            {"window": self.size - 1, "chunked": 0, "full": None}[kind] for kind in self.layers
        ]
        return per_layer[0] if len(set(per_layer)) == 1 else per_layer

    @property
    def chunk_size(self) -> int:
        return self.size if "chunked" in self.layers else 1


def _geometry(family: str, seed: int) -> Geometry:
    """The model's layer kinds and window for ``seed`` (seed 0: a fixed, readable one)."""
    rng = random.Random(seed)
    depth = 2 if seed == 0 else rng.randint(1, 3)
    size = 3 if seed == 0 else rng.randint(2, 4)
    if family in ("mistral", "qwen2"):
        layers = ("window",) * depth
    elif family == "qwen2_mixed":  # max_window_layers = 1: layer 0 full, the rest sliding
        layers = ("full",) + ("window",) * max(1, depth - 1)
    elif family == "gemma3":  # sliding_window_pattern 2: sliding, global, sliding, ...
        layers = tuple("full" if (i + 1) % 2 == 0 else "window" for i in range(max(2, depth)))
    elif family == "llama4":  # no_rope_layers: chunked RoPE layers, every 2nd a NoPE full layer
        layers = tuple("full" if (i + 1) % 2 == 0 else "chunked" for i in range(max(2, depth)))
    elif family == "llama4_chunked":
        layers = ("chunked",) * depth
    else:
        raise ValueError(f"model_hf_decoders: unknown family {family!r}")
    return Geometry(family, layers, size)


def _config(geo: Geometry) -> Any:
    import transformers as tf

    depth = len(geo.layers)
    common = dict(
        vocab_size=8,
        hidden_size=HIDDEN,
        intermediate_size=32,
        num_hidden_layers=depth,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        initializer_range=0.2,
    )
    if geo.family == "mistral":
        return tf.MistralConfig(sliding_window=geo.size, **common)
    if geo.family in ("qwen2", "qwen2_mixed"):
        first = 0 if geo.family == "qwen2" else 1
        return tf.Qwen2Config(
            use_sliding_window=True, sliding_window=geo.size, max_window_layers=first, **common
        )
    if geo.family == "gemma3":
        return tf.Gemma3TextConfig(
            sliding_window=geo.size, sliding_window_pattern=2, head_dim=8, **common
        )
    no_rope = [1 if kind == "chunked" else 0 for kind in geo.layers]
    return tf.Llama4TextConfig(
        attention_chunk_size=geo.size,
        no_rope_layers=no_rope,
        head_dim=8,
        intermediate_size_mlp=32,
        num_local_experts=2,
        num_experts_per_tok=1,
        **common,
    )


def _model_class(family: str) -> Any:
    import transformers as tf

    return {
        "mistral": tf.MistralModel,
        "qwen2": tf.Qwen2Model,
        "qwen2_mixed": tf.Qwen2Model,
        "gemma3": tf.Gemma3TextModel,
        "llama4": tf.Llama4TextModel,
        "llama4_chunked": tf.Llama4TextModel,
    }[family]


class CacheStream:
    """The library's ``DynamicCache`` as a stream: each fed piece is one cached forward.

    ``eager``: run the forward with ``torch.compile`` off (``torch.compiler.set_stance
    ("force_eager")``), for ``flex_attention``: a piece of ``n`` tokens against a cache of ``k``
    is a new shape at nearly every feed, which compiled would be one Inductor compilation per
    feed (and torch 2.13's CPU Inductor fails to build the flex kernel for some of those shapes,
    ``CppCompileError``). Un-compiled, ``flex_attention`` evaluates the same ``mask_mod`` that
    transformers builds for the compiled kernel, over every query and key."""

    def __init__(self, model: Any, config: Any, eager: bool = False) -> None:
        from transformers import DynamicCache

        self.model, self.cache, self.position = model, DynamicCache(config=config), 0
        self.eager = eager

    def feed(self, frames: Any) -> Any:
        import torch

        n = frames.shape[0]
        if n == 0:
            return torch.zeros(0, HIDDEN)
        positions = torch.arange(self.position, self.position + n)[None]
        stance = torch.compiler.set_stance("force_eager" if self.eager else "default")
        with torch.no_grad(), stance:
            out = self.model(
                inputs_embeds=frames[None].to(torch.float32),
                cache=self.cache,
                use_cache=True,
                position_ids=positions,
            ).last_hidden_state[0]
        self.position += n
        return out

    def flush(self) -> Any:
        import torch

        return torch.zeros(0, HIDDEN)  # a token is a frame: nothing is ever pending

    def state_size(self) -> int:
        """Key tokens the cache holds, summed over layers."""
        return sum(int(layer.keys.shape[-2]) for layer in self.cache.layers if layer.is_initialized)


def build(family: str, implementation: str, seed: int = 0) -> SimpleNamespace:
    """The model target of ``family`` under ``implementation`` for ``seed``."""
    import torch

    geo = _geometry(family, seed)
    config = _config(geo)
    model = _seeded_model(family, config, implementation, seed)
    # the inputs are embeddings (inputs_embeds): the token embedding is not in the computation,
    # so it is frozen rather than reported as a parameter that never learns
    model.get_input_embeddings().requires_grad_(False)

    def run(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).long()
        return model(inputs_embeds=x, attention_mask=mask).last_hidden_state

    within = "causal" if "chunked" in geo.layers and geo.size > 1 else "full"
    trained = trained_as(model, bucketed(run) if implementation == "flex_attention" else run)
    if implementation == "flex_attention":
        # torch 2.13's CPU flex_attention has no backward ("NotImplementedError: FlexAttention
        # does not support backward on CPU"): eval only, so no module is offered and the
        # training checks skip the target for having none (docs/field.md says why)
        del trained["module"], trained["train_forward"]
    return SimpleNamespace(
        **trained,
        features=HIDDEN,
        samples_per_patch=1,
        chunk_size=geo.chunk_size,
        context_chunks=geo.context_chunks(),
        depth=len(geo.layers),
        within_chunk=within,
        left_reach=0,
        lookahead_frames=0,
        stream=lambda: CacheStream(model, config, eager=implementation == "flex_attention"),
    )


#: rows and tokens a ``flex_attention`` forward's batch is padded up to (multiples of): one
#: compiled kernel serves every batch the checks draw on these decoders (at most 5 rows; at most
#: 256 tokens: ``model.receptive_field`` feeds 64 chunks of up to 4 tokens)
FLEX_ROWS = 8
FLEX_TOKENS = 256


def bucketed(run: Any) -> Any:
    """``run(x, lengths)`` on the batch padded to :data:`FLEX_ROWS` rows and
    :data:`FLEX_TOKENS` tokens (multiples of), cut back to the batch's own rows and tokens.

    transformers compiles ``flex_attention`` and ``create_block_mask`` (``torch.compile``), and
    a compiled kernel is specialised to its input's shape: every new batch shape was a new
    Inductor compilation (seconds to a minute each, so minutes for one shrinking failure).
    Padded, every batch the checks draw has one shape, and the kernel compiled for it (once per
    process and geometry) is reused. The padding changes nothing the checks compare: padded
    tokens are masked by the ``attention_mask`` the lengths make (what
    ``model.padding_invariance`` checks a model does), padded rows have length 0, and the
    decoders are causal, so no valid token reads a padded one. The kernel still works through
    ``flex_attention``'s blocks of 128 tokens, partly filled, full and empty ones. The stream
    (a ``DynamicCache`` fed piece by piece) is not padded: a padded piece would enter the
    cache (see :class:`CacheStream`)."""
    import torch

    def forward(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        rows, frames = x.shape[0], x.shape[1]
        to_rows = -(-max(rows, 1) // FLEX_ROWS) * FLEX_ROWS
        to_frames = -(-max(frames, 1) // FLEX_TOKENS) * FLEX_TOKENS
        padded = x.new_zeros((to_rows, to_frames, *x.shape[2:]))
        padded[:rows, :frames] = x
        padded_lengths = lengths.new_zeros(to_rows)
        padded_lengths[:rows] = lengths
        return run(padded, padded_lengths)[:rows, :frames]

    return forward


def _seeded_model(family: str, config: Any, implementation: str, seed: int) -> Any:
    from chunkattn.adapters._models import seeded

    cls = _model_class(family)
    return seeded(seed, lambda: cls._from_config(config, attn_implementation=implementation)).eval()


def _factory(family: str, implementation: str):
    def make_model(seed: int = 0) -> SimpleNamespace:
        return build(family, implementation, seed)

    make_model.__name__ = f"{family}_{implementation.split('_')[0]}"
    make_model.__doc__ = f"{family} under attn_implementation={implementation!r} (see module)."
    return make_model


_VARIANTS = {
    "mistral": "Mistral (sliding_window on every layer)",
    "qwen2": "Qwen2 (use_sliding_window, max_window_layers = 0: every layer sliding)",
    "qwen2_mixed": "Qwen2 (use_sliding_window, max_window_layers = 1: layer 0 full)",
    "gemma3": "Gemma 3 text (sliding and global layers interleaved, pattern 2)",
    "llama4": "Llama 4 text (chunked RoPE layers, NoPE full layers interleaved)",
    "llama4_chunked": "Llama 4 text (every layer chunked)",
}
_MAPPINGS = {
    "mistral": "C = 1, L = sliding_window - 1, depth = num_hidden_layers; DynamicCache stream",
    "qwen2": "C = 1, L = sliding_window - 1 on layers >= max_window_layers; DynamicCache stream",
    "qwen2_mixed": "C = 1, context_chunks [None, W - 1, ...]; DynamicCache stream",
    "gemma3": "C = 1, context_chunks [W - 1, None, ...] (layer_types); DynamicCache stream",
    "llama4": "C = attention_chunk_size, context_chunks [0, None, ...], within_chunk causal",
    "llama4_chunked": "C = attention_chunk_size, L = 0, within_chunk causal; DynamicCache stream",
}

#: factory name -> (variant, mapping), what ``chunkattn survey`` prints for each entry
FACTORIES: dict[str, tuple[str, str]] = {}
for _family in _VARIANTS:
    for _impl in IMPLEMENTATIONS:
        _made = _factory(_family, _impl)
        globals()[_made.__name__] = _made
        FACTORIES[_made.__name__] = (f"{_VARIANTS[_family]}, {_impl}", _MAPPINGS[_family])
