"""The trainable encoder (:mod:`_trainable`) written the way a model that trains in mixed precision
must be: clean in every dtype and on every device.

- every linear map is ``F.linear`` (as ``nn.Linear`` is), so under ``torch.autocast`` the
  activations are in the compute dtype (bfloat16 or float16), as they are in real models;
- the normalisations compute in float32 and cast back (``LlamaRMSNorm``'s upcast): the square of
  an activation overflows float16, and ``rsqrt`` of a small variance cubed in its backward does too;
- every tensor the forward creates (positions, masks, padding) is created on the input's device,
  and the stream keeps its pending frames in the dtype it is fed, so ``bf16-true`` and ``16-true``
  (module and inputs cast) run it unchanged.

How a query's scores are masked is :meth:`Encoder.attend`, which the models beside it choose:
the three correct ways (``amp_ok_*.py``) and the ways the field got it wrong (``amp_bug_*.py``).
Each ``amp_*`` module declares ``EXPECTED_PRECISION`` (a bug: the precision it fails in) and,
for a bug, ``EXPECTED_FAILURE`` (the check that catches it there); a bug passes every check in
``32-true``.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import _common
import _trainable
import torch
import torch.nn.functional as F


def rms_norm_fp32(h: torch.Tensor, gain: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """RMS norm computed in float32, cast back to ``h``'s dtype, then scaled (LlamaRMSNorm)."""
    h32 = h.float()
    normed = h32 * torch.rsqrt(h32.pow(2).mean(-1, keepdim=True) + eps)
    return gain * normed.to(h.dtype)


class Encoder(_trainable.Encoder):
    """:class:`_trainable.Encoder`, dtype- and device-clean; ``attend`` is the style under test."""

    def __init__(self, *, seed: int = 0, **kwargs) -> None:
        kwargs.setdefault("position", "none")
        super().__init__(seed=seed, **kwargs)

    def build_module(self):
        for layer in self.layers:  # no position bias: every parameter is used
            layer.pop("bias", None)
        return super().build_module()

    # ----------------------------------------------------------------- dtype- and device-clean

    @staticmethod
    def linear(h: torch.Tensor, wb) -> torch.Tensor:
        w, b = wb
        return F.linear(h, w.t(), b)

    def mask_frames(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        frame = torch.arange(x.shape[1], device=x.device)
        return x.masked_fill((frame[None, :] >= lengths[:, None])[..., None], 0.0)

    def embed(self, tokens: torch.Tensor, offset: int = 0) -> torch.Tensor:
        return self.linear(tokens, self.embedding)

    def norm1(self, i: int, h: torch.Tensor) -> torch.Tensor:
        return rms_norm_fp32(h, self.layers[i]["norm1"])

    def norm2(self, i: int, h: torch.Tensor) -> torch.Tensor:
        return rms_norm_fp32(h, self.layers[i]["norm2"])

    def final_norm(self, h: torch.Tensor) -> torch.Tensor:
        return rms_norm_fp32(h, self.final_gain)

    def output(self, h: torch.Tensor) -> torch.Tensor:
        return self.linear(self.final_norm(h), self.head)

    def mlp(self, i: int, h: torch.Tensor, wu, bu, wd, bd) -> torch.Tensor:
        return self.linear(F.gelu(self.linear(self.norm2(i, h), (wu, bu))), (wd, bd))

    def block(self, i: int, h: torch.Tensor, mask, q_pos, k_pos, past=None):
        p = self.layers[i]
        q, k, v = (
            self.split_heads(t) for t in self.linear(self.norm1(i, h), p["qkv"]).chunk(3, -1)
        )
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        a = self.attend(q, k, v, mask, 0.0)
        a = a.transpose(1, 2).reshape(h.shape)
        h = h + self.drop(self.linear(a, p["out"]))
        (wu, bu), (wd, bd) = p["up"], p["down"]
        h = h + self.drop(self.mlp(i, h, wu, bu, wd, bd))
        return h, (k, v)

    def positions(self, h: torch.Tensor) -> torch.Tensor:
        """The token positions of the forward (integers, on ``h``'s device)."""
        return torch.arange(h.shape[1], device=h.device)

    def encode(self, x: torch.Tensor, lengths: torch.Tensor, dropout: bool = False):
        self.dropping = dropout
        try:
            h = self.drop(self.front_end(x, lengths))
            pos = self.positions(h)
            valid = torch.arange(h.shape[1], device=h.device)[None, :] < self.valid_patches(
                lengths
            )[:, None].to(h.device)
            mask = self.attention_mask(pos, valid)
            for i in range(self.depth):
                h = h * valid[..., None]
                h, _ = self.block(i, h, mask, pos, pos)
            return self.output(h)
        finally:
            self.dropping = False

    # ----------------------------------------------------------------- the masked softmax

    def attend(self, q, k, v, mask: torch.Tensor, bias) -> torch.Tensor:
        """``-inf`` where hidden, a query that sees no key given every key before the softmax
        and its output zeroed (the shared trainable encoder's way; -inf is in every dtype)."""
        live = mask.any(-1, keepdim=True)
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        weights = scores.masked_fill(~(mask | ~live), float("-inf")).softmax(-1)
        return (weights @ v) * live


class Stream(_common.Stream):
    """The shared stream, keeping its pending frames in the dtype and on the device it is fed."""

    def __init__(self, model: Encoder) -> None:
        super().__init__(model)
        self.pending = None

    @torch.no_grad()
    def step(self, frames: torch.Tensor) -> torch.Tensor:
        m = self.model
        tokens = m.patchify(frames[None])
        n = tokens.shape[1]
        h = self.embed(tokens)
        q_pos = torch.arange(self.start, self.start + n, device=h.device)
        for i, c in enumerate(self.cache):
            past = None if c["k"] is None else (c["k"], c["v"])
            n_past = 0 if past is None else past[0].shape[2]
            k_pos = torch.arange(self.start - n_past, self.start + n, device=h.device)
            mask = m.visible(q_pos, k_pos)[None, None]
            h, (k, v) = m.block(i, h, mask, q_pos, k_pos, past)
            c["k"], c["v"] = self.trim(k), self.trim(v)
        self.start += n
        return m.output(h)[0]

    @torch.no_grad()
    def feed(self, frames: torch.Tensor) -> torch.Tensor:
        self.pending = frames if self.pending is None else torch.cat([self.pending, frames])
        out, size = [], self.chunk_frames()
        while self.pending.shape[0] >= size:
            out.append(self.step(self.pending[:size]))
            self.pending = self.pending[size:]
        return torch.cat(out) if out else self.empty()

    @torch.no_grad()
    def flush(self) -> torch.Tensor:
        if self.pending is None or self.pending.shape[0] == 0:
            return self.empty()
        out = self.step(self.pending)
        self.pending = self.pending[:0]
        return out


Encoder.stream_class = Stream


def target(model: Encoder, **extra) -> SimpleNamespace:
    """The trainable target of :mod:`_trainable`, for a dtype-clean encoder."""
    return _trainable.target(model, **extra)
