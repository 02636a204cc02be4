"""A correct streaming conformer written apart from ``_conformer``, in ``torch.nn`` modules: a
strided ``nn.Conv1d`` front end (kernel ``S + R``, stride ``S``: ``R`` frames of right
context), blocks of convolution module, attention, feed-forward, with the causal depthwise
convolution done the other common way (``nn.Conv1d(padding=K-1)`` and the last ``K - 1``
outputs cut off, as ESPnet's and NeMo's ``CausalConv1D``), attention through
``F.scaled_dot_product_attention`` with an additive mask that carries an ALiBi distance bias.

Its stream keeps no cache at all: it holds the frames of the chunks the next output can still
depend on (``sum(L_i + ceil((K-1)/C))`` chunks, docs/contract.md: What a model declares it reaches left bound) and reruns the forward
on them once a chunk's frames and its ``R`` right-context frames are in; the attention bias is
relative, so the rerun is exact. The state is the frames held."""

from __future__ import annotations

import math
import random
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn


class ConvModule(nn.Module):
    def __init__(self, width: int, kernel: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.pw1 = nn.Linear(width, 2 * width)
        self.dw = nn.Conv1d(width, width, kernel, padding=kernel - 1, groups=width)
        self.dw_norm = nn.LayerNorm(width)
        self.pw2 = nn.Linear(width, width)

    def forward(self, h: torch.Tensor, token_ok: torch.Tensor) -> torch.Tensor:
        u = F.glu(self.pw1(self.norm(h)), dim=-1) * token_ok[..., None]
        y = self.dw(u.transpose(1, 2))[..., : h.shape[1]].transpose(1, 2)  # causal: cut the right
        return self.pw2(F.silu(self.dw_norm(y)))


class Attention(nn.Module):
    def __init__(self, width: int, heads: int, chunk: int, left: int) -> None:
        super().__init__()
        self.heads, self.chunk, self.left = heads, chunk, left
        self.norm = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.register_buffer("slopes", 2.0 ** -torch.arange(1, heads + 1, dtype=torch.float32))

    def forward(self, h: torch.Tensor, token_ok: torch.Tensor) -> torch.Tensor:
        b, n, w = h.shape
        q, k, v = (
            t.reshape(b, n, self.heads, -1).transpose(1, 2)
            for t in self.qkv(self.norm(h)).chunk(3, -1)
        )
        pos = torch.arange(n)
        qc, kc = pos[:, None] // self.chunk, pos[None, :] // self.chunk
        allowed = ((kc <= qc) & (kc >= qc - self.left))[None] & token_ok[:, None, :]  # (B, n, n)
        anything = allowed.any(-1, keepdim=True)
        bias = -self.slopes[:, None, None] * (pos[:, None] - pos[None, :]).abs()  # (H, n, n)
        mask = torch.where((allowed | ~anything)[:, None], bias, float("-inf"))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        a = a.masked_fill(~anything[:, None], 0.0)  # a query with nothing to see: zeros
        return self.out(a.transpose(1, 2).reshape(b, n, w))


class Block(nn.Module):
    def __init__(self, width: int, heads: int, chunk: int, left: int, kernel: int) -> None:
        super().__init__()
        self.conv = ConvModule(width, kernel)
        self.attn = Attention(width, heads, chunk, left)
        self.ff = nn.Sequential(
            nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.SiLU(), nn.Linear(2 * width, width)
        )
        self.norm = nn.LayerNorm(width)

    def forward(self, h: torch.Tensor, token_ok: torch.Tensor) -> torch.Tensor:
        h = h + self.conv(h, token_ok)
        h = h + self.attn(h, token_ok)
        return self.norm(h + self.ff(h))


class Conformer(nn.Module):
    def __init__(self, geometry: dict, seed: int) -> None:
        super().__init__()
        self.g = geometry
        spp, right, width = geometry["spp"], geometry["right"], geometry["width"]
        self.front = nn.Conv1d(geometry["features"], width, spp + right, stride=spp)
        self.blocks = nn.ModuleList(
            Block(width, 2, geometry["chunk"], left, geometry["kernel"])
            for left in geometry["left"]
        )
        self.head = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, geometry["classes"]))
        gen = torch.Generator().manual_seed(seed)  # no global RNG: every parameter drawn here
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.LayerNorm):
                    module.weight.copy_(1 + 0.1 * torch.randn(width, generator=gen))
                    module.bias.copy_(0.1 * torch.randn(width, generator=gen))
                elif isinstance(module, nn.Linear | nn.Conv1d):
                    fan_in = module.weight[0].numel()
                    w = torch.randn(module.weight.shape, generator=gen) / math.sqrt(fan_in)
                    module.weight.copy_(w)
                    module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=gen))
        self.eval()

    @torch.no_grad()
    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        spp, right = self.g["spp"], self.g["right"]
        b, frames, _ = x.shape
        x = x.float().masked_fill((torch.arange(frames)[None, :] >= lengths[:, None])[..., None], 0)
        patches = -(-frames // spp)
        if patches == 0:
            return torch.zeros(b, 0, self.g["classes"])
        x = F.pad(x, (0, 0, 0, patches * spp + right - frames))
        h = self.front(x.transpose(1, 2)).transpose(1, 2)[:, :patches]
        token_ok = torch.arange(patches)[None, :] < -(-lengths[:, None] // spp)
        for block in self.blocks:
            h = block(h, token_ok)
        return self.head(h)


class RecomputeStream:
    """Holds the frames the next chunk's outputs depend on; reruns the forward per chunk."""

    def __init__(self, model: Conformer) -> None:
        g = model.g
        self.model, self.spp, self.right, self.chunk = model, g["spp"], g["right"], g["chunk"]
        self.chunk_frames = g["chunk"] * g["spp"]
        reach = sum(left + math.ceil((g["kernel"] - 1) / g["chunk"]) for left in g["left"])
        self.history = reach * self.chunk_frames
        self.frames = torch.zeros(0, g["features"])
        self.done = 0  # frames of self.frames whose chunks were emitted (whole chunks)
        self.classes = g["classes"]

    def _run(self, end: int) -> torch.Tensor:
        return self.model(self.frames[None, :end], torch.tensor([end]))[0]

    def feed(self, frames: torch.Tensor) -> torch.Tensor:
        self.frames = torch.cat([self.frames, frames.float()])
        out = [torch.zeros(0, self.classes)]
        while self.frames.shape[0] >= self.done + self.chunk_frames + self.right:
            first = self.done // self.spp
            out.append(
                self._run(self.done + self.chunk_frames + self.right)[first : first + self.chunk]
            )
            self.done += self.chunk_frames
            drop = max(self.done - self.history, 0)
            self.frames, self.done = self.frames[drop:], self.done - drop
        return torch.cat(out)

    def flush(self) -> torch.Tensor:
        if self.frames.shape[0] == self.done:
            return torch.zeros(0, self.classes)
        out = self._run(self.frames.shape[0])[self.done // self.spp :]
        self.frames, self.done = self.frames[:0], 0
        return out

    def state_size(self) -> int:
        """Frames held: the history and the frames not yet emitted."""
        return self.frames.shape[0]


def geometry(seed: int = 0) -> dict:
    rng = random.Random(seed)
    return {
        "features": 3,
        "spp": 2,
        "right": 2 if seed == 0 else rng.randint(1, 5),
        "chunk": 2 if seed == 0 else rng.choice((1, 2, 3)),
        "kernel": 3 if seed == 0 else rng.choice((2, 3, 4)),
        "left": (1, 2) if seed == 0 else (rng.choice((0, 1)), rng.choice((1, 2))),
        "width": 8,
        "classes": 4,
    }


def make_model(seed: int = 0) -> SimpleNamespace:
    g = geometry(seed)
    with torch.random.fork_rng(devices=[]):  # nn layers draw a default init: leave global RNG be
        model = Conformer(g, seed)
    return SimpleNamespace(
        forward=model.forward,
        features=g["features"],
        samples_per_patch=g["spp"],
        chunk_size=g["chunk"],
        context_chunks=list(g["left"]),
        depth=len(g["left"]),
        left_reach=g["kernel"] - 1,
        lookahead_frames=g["right"],
        timestep_sec=0.02,
        stream=lambda: RecomputeStream(model),
    )
