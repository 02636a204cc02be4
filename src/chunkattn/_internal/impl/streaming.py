"""Streaming inference: feed frames in pieces of any size, get each completed chunk's outputs.

A :class:`StreamingEncoder` wraps a :class:`~chunkattn._internal.impl.model.TransformerModel` in eval mode and
uses its eval config (``C`` tokens per chunk, ``L`` left chunks). Frames are buffered into
patches and chunks; when a chunk completes it runs through every layer against that layer's
key/value cache of the previous ``L*C`` tokens, and its outputs are returned at once. Each layer
keeps at most ``L*C`` cached tokens, so memory does not grow with the stream. ``L=None`` is
allowed and keeps every past token (state grows without bound). Relative position bias uses
the true offsets between tokens. One encoder is one stream; run several side by side for several
streams.

    stream = StreamingEncoder(model.eval())
    out = stream.feed(frames)     # (n, features), any n >= 0 -> (k, nClasses), k >= 0
    out = stream.flush()          # the final partial chunk; the stream is then finished
"""

from __future__ import annotations

import torch

from chunkattn._internal.impl.model import AttentionPlan, KVCache, TransformerModel

__all__ = ["StreamingEncoder"]


class StreamingEncoder:
    def __init__(
        self, model: TransformerModel, participant_idx: int = 0, day_idx: int | None = None
    ) -> None:
        if model.training:
            raise ValueError("StreamingEncoder needs the model in eval mode (call model.eval())")
        config = model.eval_chunk_config
        if config.chunk_size is None:
            raise ValueError(
                "the eval config is full context (eval.chunk_size: null); streaming needs a chunk size"
            )
        if not 0 <= participant_idx < len(model.settings.features_list):
            raise ValueError(f"participant_idx must be in [0, {len(model.settings.features_list)})")
        if (model.settings.nDays is None) != (day_idx is None):
            raise ValueError("day_idx is required when nDays is set and must be None otherwise")
        self.model = model
        self.participant_idx, self.day_idx = participant_idx, day_idx
        self.chunk_size, self.context_chunks = config.chunk_size, config.context_chunks
        self.features = model.settings.features_list[participant_idx]
        self.frames_per_chunk = self.chunk_size * model.settings.samples_per_patch
        self.device = next(model.parameters()).device
        self._pending = torch.zeros(0, self.features, device=self.device)
        self._caches: list[KVCache] | None = None
        self._finished = False

    @property
    def cache_limit(self) -> int | None:
        """Tokens each layer may keep: ``L*C`` (None: unlimited)."""
        return None if self.context_chunks is None else self.context_chunks * self.chunk_size

    def cached_tokens(self) -> list[int]:
        """Cached tokens per layer (excluding the pending partial chunk's frames)."""
        if self._caches is None:
            return [0] * len(self.model.blocks)
        return [k.shape[2] for k, _ in self._caches]

    def state_size(self) -> int:
        """Everything the stream holds: every layer's cached tokens plus the pending frames (the
        model-target protocol's ``state_size``)."""
        return sum(self.cached_tokens()) + self.pending_frames

    @property
    def pending_frames(self) -> int:
        return self._pending.shape[0]

    def feed(self, frames: torch.Tensor) -> torch.Tensor:
        """Buffer ``frames`` ``(n, features)``; return the outputs of every chunk they complete."""
        if self._finished:
            raise RuntimeError(
                "this stream was flushed; start a new StreamingEncoder for a new stream"
            )
        if frames.dim() != 2 or frames.shape[1] != self.features:
            raise ValueError(
                f"frames must be (n, {self.features}), got shape {tuple(frames.shape)}"
            )
        self._pending = torch.cat([self._pending, frames.to(self.device, self._pending.dtype)])
        outputs = []
        while self._pending.shape[0] >= self.frames_per_chunk:
            chunk, self._pending = (
                self._pending[: self.frames_per_chunk],
                self._pending[self.frames_per_chunk :],
            )
            outputs.append(self._run_chunk(chunk))
        return torch.cat(outputs) if outputs else self._no_output()

    def flush(self) -> torch.Tensor:
        """Emit the final partial chunk (if any) and finish the stream."""
        if self._finished:
            raise RuntimeError("this stream was already flushed")
        self._finished = True
        if self._pending.shape[0] == 0:
            return self._no_output()
        out = self._run_chunk(self._pending)
        self._pending = self._pending[:0]
        return out

    def _no_output(self) -> torch.Tensor:
        return torch.zeros(0, self.model.settings.nClasses, device=self.device)

    @torch.no_grad()
    def _run_chunk(self, frames: torch.Tensor) -> torch.Tensor:
        """One chunk (or the final partial one) through the model's own blocks, each against its
        layer's cache; every cached key is inside the chunk's window, so all are visible."""
        model, device = self.model, self.device
        day = None if self.day_idx is None else torch.tensor([self.day_idx], device=device)
        lengths = torch.tensor([frames.shape[0]], device=device)
        x = model.embed(frames[None], lengths, self.participant_idx, day)
        keys = x.shape[1] + self.cached_tokens()[0]
        plan = AttentionPlan(
            model.eval_chunk_config,
            torch.tensor([keys], device=device),
            keys,
            model.attention_backend,
            model.generator,
            queries=x.shape[1],
            all_visible=True,
        )
        logits, caches = model.encode(x, plan, self._caches)
        keep = 0 if self.cache_limit is None else max(0, keys - self.cache_limit)
        self._caches = [(k[:, :, keep:], v[:, :, keep:]) for k, v in caches]
        return logits[0]
