"""A correct model with unlimited left context (``context_chunks=None``), written as plain
``torch.nn`` modules: ``nn.MultiheadAttention`` with a key padding mask, no position encoding, and
a forward that loops over chunks, each chunk's queries attending every earlier and its own
token (the per-layer inputs so far are the cache). The stream runs the same per-chunk step; its
state grows with the stream, as unlimited context must.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import torch
from torch import nn

FEATURES, SAMPLES_PER_PATCH, WIDTH, HEADS, DEPTH, CHUNK, CLASSES = 5, 2, 16, 2, 2, 3, 4


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(WIDTH)
        self.attn = nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
        self.norm2 = nn.LayerNorm(WIDTH)
        self.mlp = nn.Sequential(
            nn.Linear(WIDTH, 2 * WIDTH), nn.GELU(), nn.Linear(2 * WIDTH, WIDTH)
        )

    def forward(self, h: torch.Tensor, past: torch.Tensor, key_valid: torch.Tensor):
        """New tokens ``h`` attend ``past`` (earlier normed inputs) and themselves."""
        a = self.norm1(h)
        memory = torch.cat([past, a], dim=1)
        seen = key_valid.any(-1, keepdim=True)  # rows with nothing to see: unmask, then zero
        out, _ = self.attn(
            a, memory, memory, key_padding_mask=~(key_valid | ~seen), need_weights=False
        )
        h = h + out.masked_fill(~seen[..., None], 0.0)
        return h + self.mlp(self.norm2(h)), memory


class ChunkLoopEncoder(nn.Module):
    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.embed = nn.Linear(SAMPLES_PER_PATCH * FEATURES, WIDTH)
        self.blocks = nn.ModuleList(Block() for _ in range(DEPTH))
        self.norm = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, CLASSES)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in self.named_parameters():
                noise = torch.randn(p.shape, generator=g)
                if p.dim() == 2:
                    gain = 0.5 if name.endswith(("out_proj.weight", "mlp.2.weight")) else 1.0
                    p.copy_(noise * gain / math.sqrt(p.shape[1]))
                elif "norm" in name and name.endswith("weight"):
                    p.copy_(1 + 0.1 * noise)
                else:
                    p.copy_(0.1 * noise)
        self.eval()

    def patches(self, frames: torch.Tensor) -> torch.Tensor:
        b, t, f = frames.shape
        pad = -t % SAMPLES_PER_PATCH
        frames = torch.cat([frames, frames.new_zeros(b, pad, f)], dim=1)
        return frames.reshape(b, -1, SAMPLES_PER_PATCH * f)

    def step(self, tokens: torch.Tensor, key_valid: torch.Tensor, cache: list[torch.Tensor]):
        """One chunk of patch tokens through every layer; ``key_valid`` covers cache + chunk."""
        h = self.embed(tokens)
        for i, block in enumerate(self.blocks):
            h, cache[i] = block(h, cache[i], key_valid)
        return self.head(self.norm(h))

    def new_cache(self, batch: int) -> list[torch.Tensor]:
        return [torch.zeros(batch, 0, WIDTH) for _ in self.blocks]

    @torch.no_grad()
    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        frame = torch.arange(x.shape[1])
        x = x.masked_fill((frame[None, :] >= lengths[:, None]).unsqueeze(-1), 0.0)
        tokens = self.patches(x)
        p = tokens.shape[1]
        valid = torch.arange(p)[None, :] < (-(-lengths // SAMPLES_PER_PATCH))[:, None]
        cache, out = self.new_cache(x.shape[0]), []
        for start in range(0, p, CHUNK):
            end = min(start + CHUNK, p)
            out.append(self.step(tokens[:, start:end], valid[:, :end], cache))
        return torch.cat(out, dim=1)


class ChunkStream:
    def __init__(self, model: ChunkLoopEncoder) -> None:
        self.model, self.cache = model, model.new_cache(1)
        self.pending = torch.zeros(0, FEATURES)

    def _step(self, frames: torch.Tensor) -> torch.Tensor:
        tokens = self.model.patches(frames[None])
        seen = self.cache[0].shape[1] + tokens.shape[1]
        return self.model.step(tokens, torch.ones(1, seen, dtype=torch.bool), self.cache)[0]

    @torch.no_grad()
    def feed(self, frames: torch.Tensor) -> torch.Tensor:
        self.pending = torch.cat([self.pending, frames.float()])
        size, out = CHUNK * SAMPLES_PER_PATCH, [torch.zeros(0, CLASSES)]
        while self.pending.shape[0] >= size:
            out.append(self._step(self.pending[:size]))
            self.pending = self.pending[size:]
        return torch.cat(out)

    @torch.no_grad()
    def flush(self) -> torch.Tensor:
        out = self._step(self.pending) if self.pending.shape[0] else torch.zeros(0, CLASSES)
        self.pending = self.pending[:0]
        return out

    def state_size(self) -> int:
        return sum(c.shape[1] for c in self.cache)


def make_model(seed: int = 0) -> SimpleNamespace:
    model = ChunkLoopEncoder(seed)
    return SimpleNamespace(
        forward=model.forward,
        features=FEATURES,
        samples_per_patch=SAMPLES_PER_PATCH,
        chunk_size=CHUNK,
        context_chunks=None,
        depth=DEPTH,
        stream=lambda: ChunkStream(model),
    )
