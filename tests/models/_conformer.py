"""A small, correct streaming conformer-style encoder, written independently of chunkattn.

The layout of WeNet's and NeMo's causal conformers, shrunk to a few channels:

- a front end: global CMVN on the frames, then the padded frames are zeroed (after the CMVN, so
  padding stays zero: the order WeNet's PR #2806 fixes), then either a linear map of each patch of
  ``samples_per_patch`` frames (``"patch"``), one strided convolution of kernel ``S + R`` and
  stride ``S`` (``"conv"``), or two kernel-3 stride-2 convolutions over time (``"conv2x"``, the
  time axis of WeNet's ``Conv2dSubsampling4``: ``S = 4``, frames ``4t .. 4t+6``). Token ``t``
  reads frames ``t*S`` up to ``(t+1)*S + R - 1``: ``R = lookahead_frames`` frames past its patch;
- pre-norm blocks of residual modules in a configurable order: ``"ff"`` (or ``"ff/2"``, the
  half-step feed-forward of a macaron block), ``"attn"`` (chunked attention: chunk mask, ``L_i``
  left chunks in layer ``i`` or ``None`` for a global layer, key padding, a learned relative
  position bias) and ``"conv"`` (pointwise, GLU, padded tokens zeroed, a causal depthwise
  convolution of kernel ``K``, LayerNorm or an eval-mode BatchNorm on running statistics, SiLU,
  pointwise), then a block LayerNorm;
- a final norm and a linear head.

:class:`Stream` is cache-aware streaming as NeMo and WeNet do it: per layer an attention
key/value cache trimmed to the ``L_i * C`` tokens the window needs and a convolution cache of the
last ``K - 1`` depthwise inputs; it waits for the ``R`` right-context frames before it emits a
chunk, and ``flush()`` zero-pads the tail like the forward does.

Forward and stream share the module functions (as WeNet's ``forward`` and ``forward_chunk`` do);
the seeded-bug modules beside this one override one small method each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import torch
import torch.nn.functional as F

FRONTENDS = ("patch", "conv", "conv2x")
MODULES = ("ff", "ff/2", "attn", "conv")


@dataclass(frozen=True)
class Config:
    """The encoder's geometry and sizes."""

    features: int = 4
    samples_per_patch: int = 2
    frontend: str = "patch"
    lookahead_frames: int = 0
    lookbehind_frames: int = 0
    width: int = 8
    heads: int = 2
    chunk_size: int = 2
    context_chunks: tuple[int | None, ...] = (1, 1)
    kernel: int = 3
    modules: tuple[str, ...] = ("attn", "conv", "ff")
    conv_norm: str = "layer"
    n_out: int = 5
    max_distance: int = 8
    frame_sec: float = 0.01

    def __post_init__(self) -> None:
        if self.frontend not in FRONTENDS:
            raise ValueError(f"frontend must be one of {FRONTENDS}, got {self.frontend!r}")
        if self.frontend != "conv" and self.lookbehind_frames:
            raise ValueError("only the conv front end reads frames before its patch")
        if self.frontend == "patch" and self.lookahead_frames:
            raise ValueError("the patch front end reads no frame past its patch")
        if self.frontend == "conv2x" and (self.samples_per_patch, self.lookahead_frames) != (4, 3):
            raise ValueError("conv2x is two k=3 s=2 convolutions: samples_per_patch=4, lookahead 3")
        if not set(self.modules) <= set(MODULES) or self.modules.count("conv") > 1:
            raise ValueError(f"modules must come from {MODULES}, with at most one 'conv'")
        if self.conv_norm not in ("layer", "batch"):
            raise ValueError(f"conv_norm must be 'layer' or 'batch', got {self.conv_norm!r}")

    @property
    def depth(self) -> int:
        return len(self.context_chunks)

    @property
    def span(self) -> int:
        """Frames one token reads, from ``lookbehind_frames`` before its patch on."""
        return self.lookbehind_frames + self.samples_per_patch + self.lookahead_frames

    @property
    def left_reach(self) -> int:
        """Tokens a layer's convolution reaches left of a token."""
        return self.kernel - 1 if "conv" in self.modules else 0


def layer_norm(h: torch.Tensor, p: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    return F.layer_norm(h, h.shape[-1:], p[0], p[1])


class Encoder:
    """The model: ``forward(x, lengths)`` in eval mode, and :meth:`stream`."""

    stream_class: type | None = None  # set below, once Stream exists

    def __init__(self, config: Config, seed: int = 0) -> None:
        self.config = c = config
        g = torch.Generator().manual_seed(seed)

        def randn(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, generator=g)

        def dense(fan_in: int, fan_out: int, gain: float = 1.0) -> tuple[torch.Tensor, ...]:
            return randn(fan_out, fan_in) * gain / math.sqrt(fan_in), 0.5 * randn(fan_out)

        def norm(width: int = c.width) -> tuple[torch.Tensor, ...]:
            return 1 + 0.1 * randn(width), 0.1 * randn(width)

        w, f = c.width, c.features
        self.cmvn = 0.5 * randn(f), 0.5 + torch.rand(f, generator=g)  # mean, std
        if c.frontend == "patch":
            self.front = {"proj": dense(c.samples_per_patch * f, w)}
        elif c.frontend == "conv":
            self.front = {
                "conv": (randn(w, f, c.span) / math.sqrt(f * c.span), 0.1 * randn(w)),
                "proj": dense(w, w),
            }
        else:
            self.front = {
                "conv1": (randn(w, f, 3) / math.sqrt(3 * f), 0.1 * randn(w)),
                "conv2": (randn(w, w, 3) / math.sqrt(3 * w), 0.1 * randn(w)),
                "proj": dense(w, w),
            }
        self.layers = []
        for _ in range(c.depth):
            layer: dict = {"norm_out": norm()}
            for j, name in enumerate(c.modules):
                if name in ("ff", "ff/2"):
                    p = {"norm": norm(), "up": dense(w, 2 * w), "down": dense(2 * w, w, 0.5)}
                elif name == "attn":
                    p = {
                        "norm": norm(),
                        "qkv": dense(w, 3 * w),
                        "out": dense(w, w, 0.5),
                        "bias": 0.5 * randn(c.heads, 2 * c.max_distance + 1),
                    }
                else:
                    p = {
                        "norm": norm(),
                        "pw1": dense(w, 2 * w),
                        "dw": (randn(w, 1, c.kernel) / math.sqrt(c.kernel), 0.1 * randn(w)),
                        "conv_norm": norm(),
                        "running": (0.2 * randn(w), 0.5 + torch.rand(w, generator=g)),
                        "pw2": dense(w, w, 0.5),
                    }
                layer[j] = p
            self.layers.append(layer)
        self.final = norm()
        self.head = dense(w, c.n_out)

    # ------------------------------------------------------------------ geometry

    def layer_context(self, i: int) -> int | None:
        """``L_i``: the left chunks layer ``i`` attends (``None``: every earlier chunk)."""
        return self.config.context_chunks[i]

    def visible(self, i: int, q_pos: torch.Tensor, k_pos: torch.Tensor) -> torch.Tensor:
        """``(n, m)`` bool: in layer ``i``, the query at token ``q_pos[a]`` sees ``k_pos[b]``."""
        qc = q_pos[:, None] // self.config.chunk_size
        kc = k_pos[None, :] // self.config.chunk_size
        ok = kc <= qc
        left = self.layer_context(i)
        if left is not None:
            ok = ok & (kc >= qc - left)
        return ok

    def valid_tokens(self, lengths: torch.Tensor) -> torch.Tensor:
        return (lengths + self.config.samples_per_patch - 1) // self.config.samples_per_patch

    # ------------------------------------------------------------------ front end

    def normalize(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Global CMVN, then frames at or past a row's length set to zero."""
        mean, std = self.cmvn
        x = (x - mean) / std
        frame = torch.arange(x.shape[1])
        return x.masked_fill((frame[None, :] >= lengths[:, None])[..., None], 0.0)

    def frontend(self, x: torch.Tensor, n: int, past: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, frames, F)`` normalized frames starting at a patch boundary -> ``n`` tokens;
        ``past``: the ``lookbehind_frames`` before it (zeros at the start of an utterance, as a
        causal convolution pads); missing frames at the end are zeros."""
        c = self.config
        if c.lookbehind_frames:
            if past is None:
                past = x.new_zeros(x.shape[0], c.lookbehind_frames, x.shape[2])
            x = torch.cat([past, x], dim=1)
        need = (n - 1) * c.samples_per_patch + c.span
        x = F.pad(x, (0, 0, 0, max(need - x.shape[1], 0)))[:, :need]
        b = x.shape[0]
        if c.frontend == "patch":
            h = x.reshape(b, n, c.samples_per_patch * c.features)
        elif c.frontend == "conv":
            h = F.gelu(F.conv1d(x.transpose(1, 2), *self.front["conv"], stride=c.samples_per_patch))
            h = h.transpose(1, 2)
        else:
            h = F.gelu(F.conv1d(x.transpose(1, 2), *self.front["conv1"], stride=2))
            h = F.gelu(F.conv1d(h, *self.front["conv2"], stride=2)).transpose(1, 2)
        return F.linear(h, *self.front["proj"])

    # ------------------------------------------------------------------ modules

    def feed_forward(self, p: dict, h: torch.Tensor) -> torch.Tensor:
        return F.linear(F.silu(F.linear(layer_norm(h, p["norm"]), *p["up"])), *p["down"])

    def split(self, t: torch.Tensor) -> torch.Tensor:
        b, n, _ = t.shape
        return t.reshape(b, n, self.config.heads, t.shape[-1] // self.config.heads).transpose(1, 2)

    def attention(self, i, p, h, q_pos, k_pos, key_ok, past):
        """Chunked attention of the new tokens ``h`` over ``past`` keys/values and their own.

        ``key_ok`` ``(B, m)`` marks real (unpadded) keys. Returns the output and the keys and
        values of past and new tokens together."""
        q, k, v = (
            self.split(t) for t in F.linear(layer_norm(h, p["norm"]), *p["qkv"]).chunk(3, -1)
        )
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        d = self.config.max_distance
        rel = (q_pos[:, None] - k_pos[None, :]).clamp(-d, d) + d
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + p["bias"][:, rel]
        mask = self.visible(i, q_pos, k_pos)[None, None] & key_ok[:, None, None, :]
        weights = scores.masked_fill(~mask, float("-inf")).softmax(-1)
        weights = weights.masked_fill(~mask.any(-1, keepdim=True), 0.0)  # nothing to see: zeros
        out = (weights @ v).transpose(1, 2).reshape(h.shape)
        return F.linear(out, *p["out"]), (k, v)

    def depthwise(self, p: dict, u: torch.Tensor, cache: torch.Tensor) -> torch.Tensor:
        """Causal depthwise convolution of ``u`` ``(B, n, W)`` after the ``cache`` of earlier
        inputs ``(B, m, W)``; inputs before the cache count as zeros."""
        k = self.config.kernel
        x = torch.cat([cache, u], 1).transpose(1, 2)
        x = F.pad(x, (max(k - 1 + u.shape[1] - x.shape[2], 0), 0))
        return F.conv1d(x, *p["dw"], groups=u.shape[2]).transpose(1, 2)[:, -u.shape[1] :]

    def conv_norm(self, p: dict, y: torch.Tensor, token_ok: torch.Tensor) -> torch.Tensor:
        if self.config.conv_norm == "layer":
            return layer_norm(y, p["conv_norm"])
        mean, var = p["running"]  # eval-mode BatchNorm: a per-channel affine map
        gain, bias = p["conv_norm"]
        return (y - mean) * torch.rsqrt(var + 1e-5) * gain + bias

    def convolution(self, p, h, token_ok, cache):
        """The conformer convolution module on new tokens; returns its output and the
        depthwise inputs (cache and new) for the next call."""
        u = F.glu(F.linear(layer_norm(h, p["norm"]), *p["pw1"]), dim=-1)
        u = u.masked_fill(~token_ok[..., None], 0.0)  # padded tokens never reach the conv
        y = self.depthwise(p, u, cache)
        y = F.silu(self.conv_norm(p, y, token_ok))
        return F.linear(y, *p["pw2"]), torch.cat([cache, u], 1)

    def layer(self, i, h, q_pos, k_pos, token_ok, key_ok, state):
        """Layer ``i`` on new tokens ``h``. ``state`` holds ``"kv"`` and ``"conv"`` caches and
        is updated in place with the untrimmed new ones."""
        layer = self.layers[i]
        for j, name in enumerate(self.config.modules):
            p = layer[j]
            if name in ("ff", "ff/2"):
                h = h + (0.5 if name == "ff/2" else 1.0) * self.feed_forward(p, h)
            elif name == "attn":
                a, state["kv"] = self.attention(i, p, h, q_pos, k_pos, key_ok, state["kv"])
                h = h + a
            else:
                y, state["conv"] = self.convolution(p, h, token_ok, state["conv"])
                h = h + y
        return layer_norm(h, layer["norm_out"])

    def output(self, h: torch.Tensor) -> torch.Tensor:
        return F.linear(layer_norm(h, self.final), *self.head)

    def empty_conv_cache(self, batch: int) -> torch.Tensor:
        return torch.zeros(batch, self.config.kernel - 1, self.config.width)

    # ------------------------------------------------------------------ entry points

    @torch.no_grad()
    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        c = self.config
        x = self.normalize(x.float(), lengths)
        n = -(-x.shape[1] // c.samples_per_patch)
        if n == 0:
            return torch.zeros(x.shape[0], 0, c.n_out)
        h = self.frontend(x, n)
        pos = torch.arange(n)
        token_ok = pos[None, :] < self.valid_tokens(lengths)[:, None]
        for i in range(c.depth):
            state = {"kv": None, "conv": self.empty_conv_cache(x.shape[0])}
            h = self.layer(i, h, pos, pos, token_ok, token_ok, state)
        return self.output(h)

    def stream(self) -> Stream:
        return self.stream_class(self)


class Stream:
    """Feeds frames in pieces of any size; emits each chunk once its frames and its ``R``
    right-context frames are in; ``flush()`` emits the rest (zero-padded)."""

    def __init__(self, model: Encoder) -> None:
        self.model = model
        c = model.config
        self.frames = torch.zeros(0, c.features)  # normalized, from the next token's patch on
        self.past = torch.zeros(c.lookbehind_frames, c.features)  # the frames just before it
        self.start = 0  # absolute index of the next token to emit
        self.state = [{"kv": None, "conv": model.empty_conv_cache(1)} for _ in range(c.depth)]

    # what is kept between chunks
    def kv_keep(self, i: int) -> int | None:
        left = self.model.layer_context(i)
        return None if left is None else left * self.model.config.chunk_size

    def conv_keep(self) -> int:
        return self.model.config.kernel - 1

    def trim(self, i: int) -> None:
        s, keep = self.state[i], self.kv_keep(i)
        if keep is not None and s["kv"] is not None:
            s["kv"] = tuple(t[:, :, max(t.shape[2] - keep, 0) :] for t in s["kv"])
        s["conv"] = s["conv"][:, s["conv"].shape[1] - self.conv_keep() :]

    # when a chunk may go
    def chunk_frames(self) -> int:
        c = self.model.config
        return c.chunk_size * c.samples_per_patch

    def frames_needed(self) -> int:
        """Frames (from the next chunk's first) before the next whole chunk can be emitted."""
        return self.chunk_frames() + self.model.config.lookahead_frames

    def empty(self) -> torch.Tensor:
        return torch.zeros(0, self.model.config.n_out)

    @torch.no_grad()
    def step(self, n: int) -> torch.Tensor:
        """Run the next ``n`` tokens (one chunk or the final partial one) through every layer."""
        m, c = self.model, self.model.config
        h = m.frontend(self.frames[None], n, self.past[None])
        q_pos = torch.arange(self.start, self.start + n)
        token_ok = torch.ones(1, n, dtype=torch.bool)
        for i, s in enumerate(self.state):
            n_past = 0 if s["kv"] is None else s["kv"][0].shape[2]
            k_pos = torch.arange(self.start - n_past, self.start + n)
            key_ok = torch.ones(1, n_past + n, dtype=torch.bool)
            h = m.layer(i, h, q_pos, k_pos, token_ok, key_ok, s)
            self.trim(i)
        self.start += n
        seen = torch.cat([self.past, self.frames])
        used = n * c.samples_per_patch
        self.past = seen[used : used + c.lookbehind_frames]
        self.frames = self.frames[used:]
        return m.output(h)[0]

    @torch.no_grad()
    def feed(self, frames: torch.Tensor) -> torch.Tensor:
        frames = frames.float()
        normalized = self.model.normalize(frames[None], torch.tensor([frames.shape[0]]))[0]
        self.frames = torch.cat([self.frames, normalized])
        out = [self.empty()]
        while self.frames.shape[0] >= self.frames_needed():
            out.append(self.step(self.model.config.chunk_size))
        return torch.cat(out)

    @torch.no_grad()
    def flush(self) -> torch.Tensor:
        c = self.model.config
        left = -(-self.frames.shape[0] // c.samples_per_patch)  # tokens with a real frame
        out = [self.empty()]
        while left > 0:
            n = min(c.chunk_size - self.start % c.chunk_size, left)
            out.append(self.step(n))
            left -= n
        self.frames = self.frames[:0]
        return torch.cat(out)

    def state_size(self) -> int:
        """Cached tokens over all layers: attention keys plus convolution inputs."""
        return self.past.shape[0] + sum(
            (0 if s["kv"] is None else s["kv"][0].shape[2]) + s["conv"].shape[1] for s in self.state
        )


Encoder.stream_class = Stream


def target(model: Encoder, **overrides) -> SimpleNamespace:
    """The model target (docs/contract.md: Model targets; What a model declares it reaches), every attribute declared from the config."""
    c = model.config
    attrs = {
        "forward": model.forward,
        "features": c.features,
        "samples_per_patch": c.samples_per_patch,
        "chunk_size": c.chunk_size,
        "context_chunks": list(c.context_chunks),
        "depth": c.depth,
        "left_reach": c.left_reach,
        "lookahead_frames": c.lookahead_frames,
        "lookbehind_frames": c.lookbehind_frames,
        "timestep_sec": round(c.samples_per_patch * c.frame_sec, 6),
        "n_out": c.n_out,
        "stream": model.stream,
    }
    attrs.update(overrides)
    return SimpleNamespace(**attrs)
