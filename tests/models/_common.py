"""A small, correct chunked-attention encoder written independently of chunkattn.

Frames are grouped ``samples_per_patch`` to a patch; each patch is embedded by one linear map;
pre-norm blocks (multi-head attention + MLP) follow, then a linear head. In every layer query ``q``
sees key ``k`` iff ``k // C <= q // C`` and ``k // C >= q // C - L`` (``L=None``: no lower bound),
and never a key past the row's valid patch count. The forward builds a dense bool mask; the stream
runs one chunk at a time with a per-layer key/value cache trimmed to the last ``L*C`` tokens.

The seeded-bug modules beside it subclass :class:`Encoder` or :class:`Stream` and override one
small method each, the way real code goes wrong; each declares ``EXPECTED_FAILURE``, the check
that must catch it.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import torch
import torch.nn.functional as F


def rms_norm(h: torch.Tensor, gain: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    return h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps) * gain


def sinusoids(positions: torch.Tensor, width: int) -> torch.Tensor:
    """The classic absolute sinusoidal encoding, ``(n, width)`` for integer positions."""
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, width, 2) / width)
    angle = positions.to(torch.float32)[:, None] * freq[None, :]
    return torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(-2)


class Encoder:
    """The model. ``position`` is ``"relative"`` (a learned per-head bias on the clipped distance
    ``q - k``), ``"absolute"`` (sinusoids added to the patch embedding) or ``"none"``."""

    def __init__(
        self,
        *,
        seed: int = 0,
        features: int = 4,
        samples_per_patch: int = 2,
        width: int = 12,
        heads: int = 2,
        depth: int = 2,
        chunk_size: int = 2,
        context_chunks: int | None = 1,
        n_out: int = 5,
        position: str = "relative",
        max_distance: int = 8,
    ) -> None:
        self.features, self.samples_per_patch = features, samples_per_patch
        self.width, self.heads, self.depth, self.n_out = width, heads, depth, n_out
        self.chunk_size, self.context_chunks = chunk_size, context_chunks
        self.position, self.max_distance = position, max_distance
        g = torch.Generator().manual_seed(seed)

        def randn(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, generator=g)

        def linear(fan_in: int, fan_out: int, gain: float = 0.5) -> tuple[torch.Tensor, ...]:
            return randn(fan_in, fan_out) * gain / math.sqrt(fan_in), 0.1 * randn(fan_out)

        self.embedding = linear(samples_per_patch * features, width, gain=1.0)
        self.layers = [
            {
                "norm1": 1 + 0.1 * randn(width),
                "qkv": linear(width, 3 * width, gain=1.0),
                "out": linear(width, width),
                "norm2": 1 + 0.1 * randn(width),
                "up": linear(width, 2 * width, gain=1.0),
                "down": linear(2 * width, width),
                "bias": 0.5 * randn(heads, 2 * max_distance + 1),
            }
            for _ in range(depth)
        ]
        self.final_gain = 1 + 0.1 * randn(width)
        self.head = linear(width, n_out, gain=1.0)

    # ----------------------------------------------------------------- input side

    def valid_patches(self, lengths: torch.Tensor) -> torch.Tensor:
        """Patches holding at least one real frame: ``ceil(length / samples_per_patch)``."""
        return (lengths + self.samples_per_patch - 1) // self.samples_per_patch

    def mask_frames(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Zero every frame at or past the row's length (also inside a partly filled patch)."""
        frame = torch.arange(x.shape[1])
        return x.masked_fill((frame[None, :] >= lengths[:, None])[..., None], 0.0)

    def patchify(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, frames, F)`` -> ``(B, patches, spp * F)``, zero-padding the last patch."""
        b, t, f = x.shape
        pad = -t % self.samples_per_patch
        x = F.pad(x, (0, 0, 0, pad))
        return x.reshape(b, (t + pad) // self.samples_per_patch, self.samples_per_patch * f)

    def embed(self, tokens: torch.Tensor, offset: int = 0) -> torch.Tensor:
        w, b = self.embedding
        h = tokens @ w + b
        if self.position == "absolute":
            h = h + sinusoids(offset + torch.arange(tokens.shape[1]), self.width)
        return h

    # ----------------------------------------------------------------- attention geometry

    def left_chunks(self) -> int | None:
        return self.context_chunks

    def visible(self, q_pos: torch.Tensor, k_pos: torch.Tensor) -> torch.Tensor:
        """``(n, m)`` bool: query at absolute token ``q_pos[i]`` may see key ``k_pos[j]``."""
        qc = q_pos[:, None] // self.chunk_size
        kc = k_pos[None, :] // self.chunk_size
        ok = kc <= qc
        left = self.left_chunks()
        if left is not None:
            ok = ok & (kc >= qc - left)
        return ok

    def attention_mask(self, pos: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """``(B, 1, P, P)``: the chunk mask and the key padding."""
        return self.visible(pos, pos)[None, None] & valid[:, None, None, :]

    def position_bias(self, layer: int, q_pos: torch.Tensor, k_pos: torch.Tensor):
        if self.position != "relative":
            return 0.0
        d = self.max_distance
        rel = (q_pos[:, None] - k_pos[None, :]).clamp(-d, d) + d
        return self.layers[layer]["bias"][:, rel]  # (H, n, m)

    # ----------------------------------------------------------------- blocks

    def split_heads(self, t: torch.Tensor) -> torch.Tensor:
        b, n, _ = t.shape
        return t.reshape(b, n, self.heads, -1).transpose(1, 2)

    def attend(self, q, k, v, mask: torch.Tensor, bias) -> torch.Tensor:
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + bias
        weights = scores.masked_fill(~mask, float("-inf")).softmax(-1)
        # a query with no visible key (padding, or a row of length 0) gets zeros, not NaN
        weights = weights.masked_fill(~mask.any(-1, keepdim=True), 0.0)
        return weights @ v

    def block(self, i: int, h: torch.Tensor, mask, q_pos, k_pos, past=None):
        """One pre-norm block on new tokens ``h``; ``past`` holds cached keys and values."""
        p = self.layers[i]
        w, b = p["qkv"]
        q, k, v = (self.split_heads(t) for t in (rms_norm(h, p["norm1"]) @ w + b).chunk(3, -1))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        a = self.attend(q, k, v, mask, self.position_bias(i, q_pos, k_pos))
        a = a.transpose(1, 2).reshape(h.shape)
        w, b = p["out"]
        h = h + a @ w + b
        (wu, bu), (wd, bd) = p["up"], p["down"]
        h = h + F.gelu(rms_norm(h, p["norm2"]) @ wu + bu) @ wd + bd
        return h, (k, v)

    def final_norm(self, h: torch.Tensor) -> torch.Tensor:
        return rms_norm(h, self.final_gain)

    def output(self, h: torch.Tensor) -> torch.Tensor:
        w, b = self.head
        return self.final_norm(h) @ w + b

    @torch.no_grad()
    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.mask_frames(x, lengths)
        tokens = self.patchify(x)
        pos = torch.arange(tokens.shape[1])
        valid = pos[None, :] < self.valid_patches(lengths)[:, None]
        mask = self.attention_mask(pos, valid)
        h = self.embed(tokens)
        for i in range(self.depth):
            h = h.masked_fill(~valid[..., None], 0.0)  # padded tokens restart from zero
            h, _ = self.block(i, h, mask, pos, pos)
        return self.output(h)

    stream_class: type | None = None  # set below, once Stream exists

    def stream(self) -> Stream:
        return self.stream_class(self)


class Stream:
    """Feeds frames in pieces; runs each completed chunk through every layer with a cache."""

    def __init__(self, model: Encoder) -> None:
        self.model = model
        self.pending = torch.zeros(0, model.features)
        self.start = 0  # absolute position of the next token
        self.cache = self.new_cache()

    def new_cache(self) -> list[dict]:
        return [{"k": None, "v": None} for _ in range(self.model.depth)]

    def keep(self) -> int | None:
        """Tokens each layer must keep for the next chunk: its ``L`` left chunks."""
        left = self.model.left_chunks()
        return None if left is None else left * self.model.chunk_size

    def trim(self, t: torch.Tensor) -> torch.Tensor:
        keep = self.keep()
        return t if keep is None else t[:, :, max(t.shape[2] - keep, 0) :]

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.model.embed(tokens, offset=self.start)

    def empty(self) -> torch.Tensor:
        return torch.zeros(0, self.model.n_out)

    @torch.no_grad()
    def step(self, frames: torch.Tensor) -> torch.Tensor:
        """One chunk (or the final partial chunk) of frames -> its outputs."""
        m = self.model
        tokens = m.patchify(frames[None])
        n = tokens.shape[1]
        h = self.embed(tokens)
        q_pos = torch.arange(self.start, self.start + n)
        for i, c in enumerate(self.cache):
            past = None if c["k"] is None else (c["k"], c["v"])
            n_past = 0 if past is None else past[0].shape[2]
            k_pos = torch.arange(self.start - n_past, self.start + n)
            mask = m.visible(q_pos, k_pos)[None, None]
            h, (k, v) = m.block(i, h, mask, q_pos, k_pos, past)
            c["k"], c["v"] = self.trim(k), self.trim(v)
        self.start += n
        return m.output(h)[0]

    def chunk_frames(self) -> int:
        return self.model.chunk_size * self.model.samples_per_patch

    @torch.no_grad()
    def feed(self, frames: torch.Tensor) -> torch.Tensor:
        self.pending = torch.cat([self.pending, frames.to(torch.float32)])
        out, size = [], self.chunk_frames()
        while self.pending.shape[0] >= size:
            out.append(self.step(self.pending[:size]))
            self.pending = self.pending[size:]
        return torch.cat(out) if out else self.empty()

    @torch.no_grad()
    def flush(self) -> torch.Tensor:
        if self.pending.shape[0] == 0:
            return self.empty()
        out = self.step(self.pending)
        self.pending = self.pending[:0]
        return out

    def state_size(self) -> int:
        """Cached key tokens, summed over layers."""
        return sum(0 if c["k"] is None else c["k"].shape[2] for c in self.cache)


Encoder.stream_class = Stream


def target(model: Encoder, *, with_stream: bool = True) -> SimpleNamespace:
    """The object a model target exposes (docs/contract.md: Model targets)."""
    return SimpleNamespace(
        forward=model.forward,
        features=model.features,
        samples_per_patch=model.samples_per_patch,
        chunk_size=model.chunk_size,
        context_chunks=model.context_chunks,
        depth=model.depth,
        n_out=model.n_out,
        **({"stream": model.stream} if with_stream else {}),
    )
