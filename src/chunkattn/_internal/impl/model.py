"""A chunked-attention Transformer for CTC, configured by the upstream ``model.transformer`` block.

Frames ``(B, frames, features)`` are grouped ``samples_per_patch`` to a patch (one token), embedded
per participant, and run through pre-norm attention + FFN blocks with a T5-style relative position
bias. In training every forward draws a chunk config from the seeded sampler; in eval it uses the
config's eval block. Keys past a row's length are never attended.

Backends (one switch, same numbers): ``eager`` (scores, ``masked_fill(-inf)``, softmax — the seed's
formulation and the reference), ``sdpa`` (``scaled_dot_product_attention`` with the additive mask),
``window`` (each chunk attends only to its ``(L+1)*C`` visible keys: time and memory grow with
``T*(L+1)*C``, not ``T**2``), ``flex`` (``flex_attention`` with a block mask).

Randomness (sampler, time masks, dropout) comes from the model's own seeded generators; the global
torch generator is never touched.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from chunkattn._internal.contract.config import ChunkedAttentionSettings, ModelSettings
from chunkattn._internal.contract.core import ChunkConfig, ConfigError, validate_chunk_config
from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.impl.masks import (
    additive_mask,
    chunk_mask_mod,
    create_dynamic_chunk_mask,
    key_padding_mask,
)
from chunkattn._internal.impl.sampler import ChunkConfigSampler

__all__ = [
    "BACKENDS",
    "AttentionPlan",
    "Block",
    "TransformerModel",
    "backend",
    "relative_bucket",
    "trailing_buckets",
]

NUM_BUCKETS, MAX_DISTANCE = 32, 128


def relative_bucket(relative: torch.Tensor) -> torch.Tensor:
    """T5's bidirectional bucket of ``key - query``: exact up to 8 apart, log-spaced to 128."""
    half = NUM_BUCKETS // 2
    bucket = (relative > 0).long() * half
    distance = relative.abs()
    exact = half // 2
    scaled = torch.log(distance.float().clamp(min=1) / exact) / math.log(MAX_DISTANCE / exact)
    log_part = (exact + (scaled * (half - exact)).long()).clamp(max=half - 1)
    return bucket + torch.where(distance < exact, distance, log_part)


@lru_cache(maxsize=32)
def trailing_buckets(queries: int, keys: int, device: torch.device | None = None) -> torch.Tensor:
    """``(queries, keys)`` buckets of ``key - query`` for the last ``queries`` tokens against the
    last ``keys`` tokens of a sequence (both end at the same token).

    The full forward (``T`` against ``T``), a window (a chunk's ``C`` queries against its
    ``(L+1)*C`` keys) and a streamed chunk (against its cache) all have this shape, and the
    offsets do not depend on where in the sequence they are, so the result is cached (callers
    must not change it in place).
    """
    key_pos = torch.arange(queries - keys, queries, device=device)
    query_pos = torch.arange(queries, device=device)
    return relative_bucket(key_pos[None, :] - query_pos[:, None])


def _dropout(x: torch.Tensor, p: float, training: bool, generator: torch.Generator) -> torch.Tensor:
    if not training or p == 0.0:
        return x
    # drawn from the model's own CPU generator, then moved: works whatever device x is on
    keep = torch.rand(x.shape, generator=generator).to(x.device) >= p
    return x * keep / (1.0 - p)


@dataclass
class AttentionPlan:
    """Everything a layer needs to attend for one forward: the geometry, the valid lengths, the
    backend, the dropout generator, and masks built once and shared by every layer.

    The queries are the last ``queries`` of the ``seq_len`` key tokens (all of them in a full
    forward; a streamed chunk's tokens against its cache). ``all_visible`` says every key is
    visible to every query (a streamed chunk against a cache trimmed to its window), so no mask
    is built at all.
    """

    config: ChunkConfig
    lengths: torch.Tensor  # (B,) valid key tokens per row
    seq_len: int
    backend: str
    generator: torch.Generator
    queries: int | None = None
    all_visible: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.queries is None:
            self.queries = self.seq_len

    def with_config(self, config: ChunkConfig) -> AttentionPlan:
        """The same plan with another geometry (masks rebuilt)."""
        return replace(self, config=config, _cache={})

    def with_lengths(self, lengths: torch.Tensor) -> AttentionPlan:
        """The same plan with other valid lengths (masks rebuilt)."""
        return replace(self, lengths=lengths, _cache={})

    @property
    def past(self) -> int:
        """Key tokens before the first query (the cache's length when streaming)."""
        return self.seq_len - self.queries

    def bool_mask(self) -> torch.Tensor | None:
        """``(B, 1, queries, seq_len)``: chunk mask and key padding; None when all visible."""
        if self.all_visible:
            return None
        if "bool" not in self._cache:
            padding = key_padding_mask(self.lengths, self.seq_len)
            chunk = create_dynamic_chunk_mask(self.seq_len, self.config, device=self.lengths.device)
            mask = padding if chunk is None else chunk & padding
            self._cache["bool"] = mask[..., self.past :, :]
        return self._cache["bool"]

    def live_rows(self) -> torch.Tensor | None:
        """``(B, 1, queries, 1)``: queries that see at least one key (padded queries may see
        none); None when all visible."""
        if self.all_visible:
            return None
        if "live" not in self._cache:
            self._cache["live"] = self.bool_mask().any(-1, keepdim=True)
        return self._cache["live"]

    def windowed(self) -> bool:
        """Can the window kernel run: a full forward with finite ``C`` and ``L``."""
        return (
            self.past == 0
            and self.config.chunk_size is not None
            and self.config.context_chunks is not None
        )

    def buckets(self) -> torch.Tensor:
        """``(queries, seq_len)`` relative-position buckets of ``key - query``."""
        if "buckets" not in self._cache:
            self._cache["buckets"] = trailing_buckets(
                self.queries, self.seq_len, self.lengths.device
            )
        return self._cache["buckets"]

    def window(self) -> tuple[torch.Tensor, torch.Tensor]:
        """For the window kernel: ``(C, (L+1)*C)`` buckets of a chunk's queries against its
        window's keys (the same for every chunk), and ``(B, chunks, (L+1)*C)`` which window keys
        are real (not before the start, not padding)."""
        if "window" not in self._cache:
            c, l_ = self.config.chunk_size, self.config.context_chunks
            device, width = self.lengths.device, (l_ + 1) * c
            chunks = -(-self.seq_len // c)
            # key j of chunk n's window sits at position (n - L) * c + j; query i at n * c + i
            offsets = torch.arange(width, device=device)
            key_pos = (torch.arange(chunks, device=device)[:, None] - l_) * c + offsets
            valid = (key_pos >= 0)[None] & (key_pos[None] < self.lengths[:, None, None])
            self._cache["window"] = (trailing_buckets(c, width, device), valid)
        return self._cache["window"]


class Attention(nn.Module):
    """Multi-head self-attention with a per-head T5 relative position bias."""

    def __init__(self, dim: int, heads: int, dim_head: int, dropout: float):
        super().__init__()
        self.heads, self.dim_head, self.dropout = heads, dim_head, dropout
        self.scale = dim_head**-0.5
        self.norm = nn.LayerNorm(dim)
        self.to_qkv = nn.Linear(dim, 3 * heads * dim_head, bias=False)
        self.to_out = nn.Linear(heads * dim_head, dim)
        self.rel_bias = nn.Embedding(NUM_BUCKETS, heads)

    def bias(self, buckets: torch.Tensor) -> torch.Tensor:
        """``(H, Tq, Tk)`` per-head bias for ``(Tq, Tk)`` relative-position buckets."""
        return self.rel_bias(buckets).permute(2, 0, 1)

    def forward(
        self, x: torch.Tensor, plan: AttentionPlan, cache: KVCache | None = None
    ) -> tuple[torch.Tensor, KVCache]:
        """Attend ``x``'s tokens to themselves, after the cached keys and values if any; return
        the output and the keys and values attended to (the cache a next chunk extends)."""
        b, t, _ = x.shape
        qkv = self.to_qkv(self.norm(x)).view(b, t, 3, self.heads, self.dim_head)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, H, T, dim_head)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        out = BACKENDS[plan.backend](self, q, k, v, plan)
        out = self.to_out(out.transpose(1, 2).reshape(b, t, self.heads * self.dim_head))
        return _dropout(out, self.dropout, self.training, plan.generator), (k, v)


KVCache = tuple[torch.Tensor, torch.Tensor]
Kernel = Callable[
    [Attention, torch.Tensor, torch.Tensor, torch.Tensor, AttentionPlan], torch.Tensor
]

#: attention backends: name -> kernel ``(attn, q, k, v, plan) -> (B, H, queries, dim_head)``.
#: Every kernel computes the same function; adding one here is all it takes for the model,
#: streaming and the ``model.backends_agree`` check to use it.
BACKENDS: dict[str, Kernel] = {}


def backend(name: str) -> Callable[[Kernel], Kernel]:
    """Register a kernel under ``name``."""

    def register(kernel: Kernel) -> Kernel:
        BACKENDS[name] = kernel
        return kernel

    return register


@backend("eager")
def eager_attention(attn: Attention, q, k, v, plan: AttentionPlan) -> torch.Tensor:
    """Scores, ``masked_fill(-inf)``, softmax: the seed's formulation and the reference."""
    scores = (q @ k.transpose(-1, -2)) * attn.scale + attn.bias(plan.buckets())
    visible = plan.bool_mask()
    if visible is None:
        return torch.softmax(scores, dim=-1) @ v
    weights = torch.softmax(scores.masked_fill(~visible, float("-inf")), dim=-1)
    return weights.masked_fill(~plan.live_rows(), 0.0) @ v


@backend("sdpa")
def sdpa_attention(attn: Attention, q, k, v, plan: AttentionPlan) -> torch.Tensor:
    """``scaled_dot_product_attention`` with the additive mask plus the position bias."""
    bias = attn.bias(plan.buckets())
    if plan.bool_mask() is None:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=attn.scale)
    live = plan.live_rows()
    # a row with no visible key would be all -inf (NaN); let it see everything, then zero it
    visible = plan.bool_mask() | ~live
    out = F.scaled_dot_product_attention(
        q, k, v, attn_mask=additive_mask(visible) + bias, scale=attn.scale
    )
    return out * live


@backend("flex")
def flex_attention_kernel(attn: Attention, q, k, v, plan: AttentionPlan) -> torch.Tensor:
    """``flex_attention`` with a block mask from the chunk ``mask_mod`` (eval-only on the CPU)."""
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention

    if q.device.type == "cpu" and torch.is_grad_enabled() and q.requires_grad:
        raise RuntimeError(
            "attention_backend='flex' has no backward on the CPU in this torch; train with "
            "'eager', 'sdpa' or 'window', or run under torch.no_grad()"
        )
    if "block_mask" not in plan._cache:
        past = plan.past
        if plan.all_visible:
            mod = chunk_mask_mod(ChunkConfig(None, None))
        else:
            mod = chunk_mask_mod(plan.config, plan.lengths)
        plan._cache["block_mask"] = create_block_mask(
            lambda b, h, q_idx, kv_idx: mod(b, h, q_idx + past, kv_idx),
            q.shape[0],
            None,
            plan.queries,
            plan.seq_len,
            device=str(q.device),
        )
    bias = attn.bias(plan.buckets())

    def score_mod(score, b, h, q_idx, kv_idx):
        return score + bias[h, q_idx, kv_idx]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = flex_attention(
            q, k, v, score_mod=score_mod, block_mask=plan._cache["block_mask"], scale=attn.scale
        )
    live = plan.live_rows()
    return out if live is None else out * live


@backend("window")
def window_attention(attn: Attention, q, k, v, plan: AttentionPlan) -> torch.Tensor:
    """Each chunk against its own and the ``L`` previous chunks' keys only: time and memory grow
    with ``T*(L+1)*C``, not ``T**2``. Geometries without a finite window use ``sdpa``."""
    if not plan.windowed():
        return sdpa_attention(attn, q, k, v, plan)
    c, l_ = plan.config.chunk_size, plan.config.context_chunks
    b, h, t, d = q.shape
    n = -(-t // c)
    width = (l_ + 1) * c
    pad_right = n * c - t
    q = F.pad(q, (0, 0, 0, pad_right)).view(b, h, n, c, d)
    k = F.pad(k, (0, 0, l_ * c, pad_right)).unfold(2, width, c).transpose(-1, -2)
    v = F.pad(v, (0, 0, l_ * c, pad_right)).unfold(2, width, c).transpose(-1, -2)
    buckets, valid = plan.window()
    bias = attn.bias(buckets)  # (H, c, width)
    scores = torch.einsum("bhncd,bhnkd->bhnck", q, k) * attn.scale + bias[None, :, None]
    scores = scores.masked_fill(~valid[:, None, :, None, :], float("-inf"))
    # a window is exactly a chunk's visible keys: a chunk with none (padding) outputs 0
    live = valid.any(-1)[:, None, :, None, None]
    weights = torch.softmax(scores, dim=-1).masked_fill(~live, 0.0)
    return torch.einsum("bhnck,bhnkd->bhncd", weights, v).reshape(b, h, n * c, d)[:, :, :t]


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int, dropout: float):
        super().__init__()
        self.norm, self.up, self.down, self.dropout = (
            nn.LayerNorm(dim),
            nn.Linear(dim, hidden),
            nn.Linear(hidden, dim),
            dropout,
        )

    def forward(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        hidden = _dropout(F.gelu(self.up(self.norm(x))), self.dropout, self.training, generator)
        return _dropout(self.down(hidden), self.dropout, self.training, generator)


class Block(nn.Module):
    """One pre-norm layer, ``block(x, plan, cache=None) -> (x, cache)``: the only layer code.

    The full forward calls it without a cache; streaming calls it with each layer's cached
    keys and values (as WeNet's encoder layers do), so the two cannot drift apart.
    """

    def __init__(self, dim: int, heads: int, dim_head: int, mlp_ratio: int, dropout: float):
        super().__init__()
        self.attn = Attention(dim, heads, dim_head, dropout)
        self.ffn = FeedForward(dim, mlp_ratio * dim, dropout)

    def forward(
        self, x: torch.Tensor, plan: AttentionPlan, cache: KVCache | None = None
    ) -> tuple[torch.Tensor, KVCache]:
        out, cache = self.attn(x, plan, cache)
        x = x + out
        return x + self.ffn(x, plan.generator), cache


class TransformerModel(nn.Module):
    """The chunked-attention encoder with a CTC head; see the module docstring.

    >>> model = TransformerModel.from_config(None, seed=0).eval()   # the embedded default
    >>> logits = model(torch.zeros(2, 40, 16), torch.tensor([40, 23]))
    >>> tuple(logits.shape), model.output_lengths(torch.tensor([40, 23])).tolist()
    ((2, 10, 40), [10, 6])
    """

    def __init__(
        self,
        settings: ModelSettings,
        chunked: ChunkedAttentionSettings,
        *,
        attention_backend: str = "eager",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.settings, self.chunked = settings, chunked
        self.attention_backend = attention_backend
        dim = settings.model_dim
        self.sampler = ChunkConfigSampler.from_settings(chunked, seed=seed)
        self.eval_chunk_config = chunked.eval_config()
        self.last_chunk_config: ChunkConfig | None = None
        self.generator = torch.Generator().manual_seed(seed)
        if settings.nDays is not None:
            self.day_weights = nn.ParameterList(
                nn.Parameter(torch.eye(f).repeat(settings.nDays, 1, 1))
                for f in settings.features_list
            )
            self.day_biases = nn.ParameterList(
                nn.Parameter(torch.zeros(settings.nDays, f)) for f in settings.features_list
            )
        self.patch_embed = nn.ModuleList(
            nn.Sequential(
                nn.LayerNorm(settings.samples_per_patch * f),
                nn.Linear(settings.samples_per_patch * f, dim),
                nn.LayerNorm(dim),
            )
            for f in settings.features_list
        )
        self.blocks = nn.ModuleList(
            Block(
                dim, settings.n_heads, settings.dim_head, settings.mlp_dim_ratio, settings.dropout
            )
            for _ in range(settings.depth)
        )
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, settings.nClasses)

    @classmethod
    def from_config(
        cls,
        source: str | Path | dict | None = None,
        *,
        attention_backend: str = "eager",
        seed: int = 0,
    ) -> TransformerModel:
        """Build from a YAML path, a parsed dict, or (``None``) the embedded default config."""
        config = load_config(source)
        if config.model is None:
            raise ConfigError(
                "missing key (the model needs a model.transformer block)",
                key="model.transformer",
                source=config.source,
            )
        return cls(config.model, config.chunked, attention_backend=attention_backend, seed=seed)

    @property
    def attention_backend(self) -> str:
        return self._backend

    @attention_backend.setter
    def attention_backend(self, value: str) -> None:
        if value not in BACKENDS:
            raise ValueError(
                f"attention_backend must be one of {', '.join(BACKENDS)}, got {value!r}"
            )
        self._backend = value

    @property
    def timestep_duration_sec(self) -> float:
        return self.chunked.timestep_duration_sec

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Valid patches per row: ``ceil(frames / samples_per_patch)``."""
        return torch.div(
            lengths + self.settings.samples_per_patch - 1,
            self.settings.samples_per_patch,
            rounding_mode="floor",
        )

    def choose_chunk_config(self) -> ChunkConfig:
        """A fresh sample in training, the fixed eval config in eval mode."""
        return self.sampler.sample() if self.training else self.eval_chunk_config

    def embed(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor,
        participant_idx: int,
        day_idx: torch.Tensor | None,
    ) -> torch.Tensor:
        """Frames to patch tokens ``(B, patches, dim)``; frames past a row's length are zeroed first."""
        s = self.settings
        b, frames, _ = x.shape
        x = x * (torch.arange(frames, device=x.device)[None, :] < lengths[:, None])[..., None]
        if s.nDays is not None:
            weight = self.day_weights[participant_idx][day_idx]
            x = (
                torch.einsum("btf,bfg->btg", x, weight)
                + self.day_biases[participant_idx][day_idx][:, None]
            )
            if s.day_softsign:
                x = F.softsign(x)
        pad = -frames % s.samples_per_patch
        x = F.pad(x, (0, 0, 0, pad)).reshape(b, (frames + pad) // s.samples_per_patch, -1)
        return self.patch_embed[participant_idx](x)

    def _time_mask(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        s = self.settings
        if not self.training or s.num_masks == 0 or s.max_mask_pct == 0:
            return tokens
        keep = torch.ones(tokens.shape[:2], dtype=torch.bool)
        for row, length in enumerate(lengths.tolist()):
            width = int(s.max_mask_pct * length)
            for _ in range(s.num_masks if width > 0 else 0):
                span = int(torch.randint(0, width + 1, (), generator=self.generator))
                start = int(
                    torch.randint(0, max(1, length - span + 1), (), generator=self.generator)
                )
                keep[row, start : start + span] = False
        return tokens * keep.to(tokens.device)[..., None]

    def _validate(
        self, x: torch.Tensor, lengths: torch.Tensor, participant_idx: int, day_idx
    ) -> None:
        s = self.settings
        if x.dim() != 3 or x.shape[1] < 1:
            raise ValueError(
                f"x must be (batch, frames >= 1, features), got shape {tuple(x.shape)}"
            )
        if not 0 <= participant_idx < len(s.features_list):
            raise ValueError(
                f"participant_idx must be in [0, {len(s.features_list)}), got {participant_idx}"
            )
        if x.shape[2] != s.features_list[participant_idx]:
            raise ValueError(
                f"x has {x.shape[2]} features; participant {participant_idx} has {s.features_list[participant_idx]}"
            )
        if lengths.shape != (x.shape[0],) or lengths.dtype.is_floating_point:
            raise ValueError(
                f"lengths must be an integer tensor of shape ({x.shape[0]},), got {lengths.dtype} {tuple(lengths.shape)}"
            )
        if lengths.numel() and (int(lengths.min()) < 0 or int(lengths.max()) > x.shape[1]):
            raise ValueError(
                f"lengths must lie in [0, {x.shape[1]}] frames, got {lengths.tolist()}"
            )
        if (s.nDays is None) != (day_idx is None):
            raise ValueError("day_idx is required when nDays is set and must be None otherwise")

    def forward(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor,
        participant_idx: int = 0,
        day_idx: torch.Tensor | None = None,
        *,
        chunk_config: ChunkConfig | None = None,
    ) -> torch.Tensor:
        """``(B, frames, features)`` frames -> ``(B, patches, nClasses)`` logits.

        ``chunk_config`` forces a geometry (for tests and streaming); otherwise training draws
        one from the sampler and eval uses the eval config. Either way it is recorded in
        ``last_chunk_config``.
        """
        self._validate(x, lengths, participant_idx, day_idx)
        config = chunk_config if chunk_config is not None else self.choose_chunk_config()
        validate_chunk_config(config)
        self.last_chunk_config = config
        patch_lengths = self.output_lengths(lengths)
        tokens = self.embed(x, lengths, participant_idx, day_idx)
        tokens = self._time_mask(tokens, patch_lengths)
        tokens = _dropout(tokens, self.settings.input_dropout, self.training, self.generator)
        plan = AttentionPlan(
            config,
            patch_lengths.to(tokens.device),
            tokens.shape[1],
            self.attention_backend,
            self.generator,
        )
        return self.encode(tokens, plan)[0]

    def encode(
        self, tokens: torch.Tensor, plan: AttentionPlan, caches: list[KVCache] | None = None
    ) -> tuple[torch.Tensor, list[KVCache]]:
        """Patch tokens through every block and the head: ``(logits, per-layer caches)``.

        The full forward passes no caches; a stream passes each layer's cached keys and values
        and keeps (a trimmed copy of) what comes back.
        """
        caches = caches or [None] * len(self.blocks)
        new_caches = []
        for block, cache in zip(self.blocks, caches, strict=True):
            tokens, cache = block(tokens, plan, cache)
            new_caches.append(cache)
        return self.head(self.norm(tokens)), new_caches
