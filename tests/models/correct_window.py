"""A correct model in the "window" formulation, written apart from ``_common``: the tokens are cut
into chunks, each chunk's queries attend a window of its own and the ``L`` previous chunks
gathered with ``unfold``, through ``F.scaled_dot_product_attention`` with a float mask that also
carries an ALiBi distance bias. Post-embedding LayerNorms, one frame a patch, ``L = 2``.

Its stream recomputes: it keeps the raw frames of the last ``depth * L`` chunks and reruns the
forward on them plus the new chunk (output chunk ``c`` needs exactly input chunks
``c - depth*L .. c``, and ALiBi is relative, so the result is exact); the state is those frames.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import torch
import torch.nn.functional as F

FEATURES, SAMPLES_PER_PATCH, WIDTH, HEADS, DEPTH, CHUNK, LEFT, CLASSES = 6, 1, 12, 2, 2, 2, 2, 3


class WindowEncoder:
    def __init__(self, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)

        def dense(fan_in: int, fan_out: int, gain: float = 1.0) -> tuple[torch.Tensor, ...]:
            w = torch.randn(fan_out, fan_in, generator=g) * gain / math.sqrt(fan_in)
            return w, 0.1 * torch.randn(fan_out, generator=g)

        def norm() -> tuple[torch.Tensor, ...]:
            return 1 + 0.1 * torch.randn(WIDTH, generator=g), 0.1 * torch.randn(WIDTH, generator=g)

        self.embed = dense(SAMPLES_PER_PATCH * FEATURES, WIDTH)
        self.blocks = [
            {
                "ln1": norm(),
                "qkv": dense(WIDTH, 3 * WIDTH),
                "proj": dense(WIDTH, WIDTH, 0.5),
                "ln2": norm(),
                "fc1": dense(WIDTH, 3 * WIDTH),
                "fc2": dense(3 * WIDTH, WIDTH, 0.5),
            }
            for _ in range(DEPTH)
        ]
        self.ln_out = norm()
        self.head = dense(WIDTH, CLASSES)
        self.slopes = torch.tensor([0.5, 0.125])[:HEADS]

    def attention(self, x: torch.Tensor, n_valid: torch.Tensor, blk: dict) -> torch.Tensor:
        b, p, d = x.shape  # p is a whole number of chunks
        n_chunks, span, dh = p // CHUNK, (LEFT + 1) * CHUNK, d // HEADS
        q, k, v = (
            t.reshape(b, p, HEADS, dh).transpose(1, 2)
            for t in F.linear(x, *blk["qkv"]).chunk(3, -1)
        )
        # (B, H, chunks, span, dh): chunk c's keys are tokens (c - L) * C .. (c + 1) * C - 1
        k, v = (
            F.pad(t, (0, 0, LEFT * CHUNK, 0)).unfold(2, span, CHUNK).transpose(-1, -2)
            for t in (k, v)
        )
        q = q.reshape(b, HEADS, n_chunks, CHUNK, dh)
        key_pos = (torch.arange(n_chunks)[:, None] - LEFT) * CHUNK + torch.arange(span)
        query_pos = torch.arange(p).reshape(n_chunks, CHUNK)
        allowed = (key_pos >= 0) & (key_pos[None] < n_valid[:, None, None])  # (B, chunks, span)
        allowed = allowed[:, None, :, None, :]  # (B, 1, chunks, 1, span)
        anything = allowed.any(-1, keepdim=True)
        distance = (query_pos[..., None] - key_pos[:, None, :]).abs()  # (chunks, C, span)
        bias = -self.slopes[:, None, None, None] * distance  # (H, chunks, C, span)
        # a query with nothing to see attends uniformly, and its output is zeroed below
        mask = torch.where(allowed | ~anything, bias, float("-inf"))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        out = out.masked_fill(~anything, 0.0).reshape(b, HEADS, p, dh)
        return F.linear(out.transpose(1, 2).reshape(b, p, d), *blk["proj"])

    @torch.no_grad()
    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        b, frames, f = x.shape
        x = torch.where(torch.arange(frames)[None, :, None] < lengths[:, None, None], x, 0.0)
        patches = -(-frames // SAMPLES_PER_PATCH)
        padded = -(-patches // CHUNK) * CHUNK  # whole chunks; the extra tokens are padding
        x = F.pad(x, (0, 0, 0, padded * SAMPLES_PER_PATCH - frames))
        h = F.linear(x.reshape(b, padded, SAMPLES_PER_PATCH * f), *self.embed)
        n_valid = -(-lengths // SAMPLES_PER_PATCH)
        for blk in self.blocks:
            h = h + self.attention(F.layer_norm(h, (WIDTH,), *blk["ln1"]), n_valid, blk)
            mlp = F.gelu(F.linear(F.layer_norm(h, (WIDTH,), *blk["ln2"]), *blk["fc1"]))
            h = h + F.linear(mlp, *blk["fc2"])
        return F.linear(F.layer_norm(h, (WIDTH,), *self.ln_out), *self.head)[:, :patches]


class RecomputeStream:
    """Keeps the frames of the last ``DEPTH * LEFT`` chunks and reruns the forward on them."""

    FRAMES_PER_CHUNK = CHUNK * SAMPLES_PER_PATCH
    HISTORY = DEPTH * LEFT * FRAMES_PER_CHUNK

    def __init__(self, model: WindowEncoder) -> None:
        self.model = model
        self.frames = torch.zeros(0, FEATURES)
        self.done = 0  # frames of self.frames whose outputs were emitted (whole chunks)

    def _run(self) -> torch.Tensor:
        n = self.frames.shape[0]
        return self.model.forward(self.frames[None], torch.tensor([n]))[0]

    def feed(self, frames: torch.Tensor) -> torch.Tensor:
        self.frames = torch.cat([self.frames, frames.float()])
        out = [torch.zeros(0, CLASSES)]
        while self.frames.shape[0] - self.done >= self.FRAMES_PER_CHUNK:
            end = self.done + self.FRAMES_PER_CHUNK
            y = self.model.forward(self.frames[None, :end], torch.tensor([end]))[0]
            out.append(y[-CHUNK:])
            drop = max(end - self.HISTORY, 0)
            self.frames, self.done = self.frames[drop:], end - drop
        return torch.cat(out)

    def flush(self) -> torch.Tensor:
        if self.frames.shape[0] == self.done:
            return torch.zeros(0, CLASSES)
        out = self._run()[self.done // SAMPLES_PER_PATCH :]
        self.frames, self.done = self.frames[:0], 0
        return out

    def state_size(self) -> int:
        """Frames held (history plus the pending partial chunk)."""
        return self.frames.shape[0]


def make_model(seed: int = 0) -> SimpleNamespace:
    model = WindowEncoder(seed)
    return SimpleNamespace(
        forward=model.forward,
        features=FEATURES,
        samples_per_patch=SAMPLES_PER_PATCH,
        chunk_size=CHUNK,
        context_chunks=LEFT,
        depth=DEPTH,
        stream=lambda: RecomputeStream(model),
    )
