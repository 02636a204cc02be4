"""Streaming inference: feed frames in pieces of any size, get each completed chunk's outputs.

A :class:`StreamingEncoder` wraps a :class:`~chunkattn.model.TransformerModel` in eval mode and
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

import time

import torch
from rich.console import Console

from .config import ProjectConfig
from .model import TransformerModel, trailing_buckets

__all__ = ["StreamingEncoder", "run_stream_check"]


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
        self._caches: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * len(model.blocks)
        self._last_buckets: tuple[tuple[int, int] | None, torch.Tensor | None] = (None, None)
        self._finished = False

    @property
    def cache_limit(self) -> int | None:
        """Tokens each layer may keep: ``L*C`` (None: unlimited)."""
        return None if self.context_chunks is None else self.context_chunks * self.chunk_size

    def state_size(self) -> list[int]:
        """Cached tokens per layer (excluding the pending partial chunk's frames)."""
        return [0 if c is None else c[0].shape[2] for c in self._caches]

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

    def _buckets(self, queries: int, keys: int) -> torch.Tensor:
        """Relative-position buckets of the newest ``queries`` tokens against the last ``keys``.

        ``key - query`` depends only on the two counts, not on where the stream is, so once the
        cache is full every chunk reuses the same matrix.
        """
        if self._last_buckets[0] != (queries, keys):
            self._last_buckets = ((queries, keys), trailing_buckets(queries, keys, self.device))
        return self._last_buckets[1]

    def _no_output(self) -> torch.Tensor:
        return torch.zeros(0, self.model.settings.nClasses, device=self.device)

    @torch.no_grad()
    def _run_chunk(self, frames: torch.Tensor) -> torch.Tensor:
        model = self.model
        device = self.device
        day = None if self.day_idx is None else torch.tensor([self.day_idx], device=device)
        lengths = torch.tensor([frames.shape[0]], device=device)
        x = model.embed(frames[None], lengths, self.participant_idx, day)
        n = x.shape[1]
        past = 0 if self._caches[0] is None else self._caches[0][0].shape[2]  # same in every layer
        buckets = self._buckets(n, past + n)
        for index, block in enumerate(model.blocks):
            attn = block.attn
            q, k, v = attn.qkv(x)
            cached = self._caches[index]
            if cached is not None:
                k, v = torch.cat([cached[0], k], dim=2), torch.cat([cached[1], v], dim=2)
            scores = (q @ k.transpose(-1, -2)) * attn.scale + attn.bias(buckets)
            x = x + attn.project(torch.softmax(scores, dim=-1) @ v, model.generator)
            x = x + block.ffn(x, model.generator)
            keep = 0 if self.cache_limit is None else max(0, k.shape[2] - self.cache_limit)
            self._caches[index] = (k[:, :, keep:], v[:, :, keep:])
        return model.head(model.norm(x))[0]


def run_stream_check(config: ProjectConfig, *, patches: int = 256, seed: int = 0) -> int:
    """Stream random input through the configured model in random pieces; compare with the full
    eval forward (eager and window) and report per-chunk latency and state size."""
    out = Console(highlight=False, soft_wrap=True)
    if config.model is None:
        from .config import ConfigError

        raise ConfigError(
            "missing key (stream-check needs a model.transformer block)",
            key="model.transformer",
            source=config.source,
        )
    model = TransformerModel(config.model, config.chunked, seed=seed).eval()
    stream = StreamingEncoder(model)
    g = torch.Generator().manual_seed(seed)
    frames = patches * config.model.samples_per_patch
    x = torch.randn(frames, config.model.features_list[0], generator=g)
    pieces, start, chunk_times, peak_state = [], 0, [], 0
    while start < frames:
        size = int(torch.randint(1, 2 * stream.frames_per_chunk + 1, (), generator=g))
        begin = time.perf_counter()
        piece = stream.feed(x[start : start + size])
        elapsed = time.perf_counter() - begin
        if piece.shape[0]:
            chunk_times.append(elapsed / -(-piece.shape[0] // stream.chunk_size))
        pieces.append(piece)
        peak_state = max(peak_state, *stream.state_size())
        start += size
    pieces.append(stream.flush())
    streamed = torch.cat(pieces)
    diffs = {}
    with torch.no_grad():
        for backend in ("eager", "window"):
            model.attention_backend = backend
            full = model(x[None], torch.tensor([frames]))[0]
            diffs[backend] = float((full - streamed).abs().max())
    ts = config.chunked.timestep_duration_sec
    c, l_ = stream.chunk_size, stream.context_chunks
    out.print(
        f"stream-check: {config.source}, eval config C={c}, L={l_}, {patches} patches in random pieces",
        markup=False,
    )
    for backend, diff in diffs.items():
        verdict = "PASS" if diff <= 1e-5 else "FAIL"
        out.print(
            f"{verdict}  stream.equivalence vs {backend:<6} max |diff| = {diff:.2e}", markup=False
        )
    wall = sorted(chunk_times)[len(chunk_times) // 2] if chunk_times else 0.0
    out.print(
        f"latency per chunk: {c * ts:.3g} s of signal ({c} tokens), median wall time {wall * 1e3:.2f} ms",
        markup=False,
    )
    limit = "unlimited" if stream.cache_limit is None else f"<= {stream.cache_limit}"
    out.print(
        f"state: at most {peak_state} cached tokens per layer ({limit}), {len(model.blocks)} layers",
        markup=False,
    )
    return 0 if all(d <= 1e-5 for d in diffs.values()) else 1
