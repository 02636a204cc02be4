"""Measure a model adapter against SPEC 9.1 directly (per-layer ``context_chunks``,
``within_chunk``, ``left_reach``, ``lookahead_frames``), ahead of chunkattn's own checks learning
them: the chunk dependency matrix against the formula, token causality inside a chunk, the
stream against the forward for random splits, and the stream's state after N and 2N chunks.

Run as a script: ``python tests/model_adapters/geometry.py MODULE:FACTORY ...`` prints one line
per target (``ok`` or what differs).
"""

from __future__ import annotations

import random
import sys
from typing import Any

import torch

from chunkattn.adapters._models import expected_dependence

UNCHANGED = 1e-7


def _out(model: Any, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.forward(x, torch.tensor([x.shape[1]])).float()


def _perturbed(x: torch.Tensor, frames: slice, seed: int, scale: float) -> torch.Tensor:
    x2 = x.clone()
    g = torch.Generator().manual_seed(seed)
    x2[:, frames] += scale * torch.randn(x2[:, frames].shape, generator=g)
    return x2


def _geometry(model: Any) -> dict[str, Any]:
    return dict(
        chunk_size=model.chunk_size,
        samples_per_patch=model.samples_per_patch,
        context_chunks=model.context_chunks,
        depth=model.depth,
        left_reach=getattr(model, "left_reach", 0),
        lookahead_frames=getattr(model, "lookahead_frames", 0),
    )


def _chunks(model: Any) -> int:
    """Enough chunks to see the stack's left edge and past it."""
    left = model.context_chunks
    layers = left if isinstance(left, list) else [left] * model.depth
    per_layer = -(-getattr(model, "left_reach", 0) // model.chunk_size)
    reach = sum((1 if lc is None else lc) + per_layer for lc in layers)
    return min(reach + 3, 9)


def dependency_problems(model: Any, chunks: int | None = None, seed: int = 0) -> list[str]:
    """Where the measured chunk dependence differs from the SPEC 9.1 formula."""
    chunks = chunks or _chunks(model)
    c, s = model.chunk_size, model.samples_per_patch
    fpc = c * s
    x = torch.randn(1, chunks * fpc, model.features, generator=torch.Generator().manual_seed(seed))
    y = _out(model, x)
    problems = []
    for j in range(chunks):
        change = torch.zeros(chunks)
        for k, scale in enumerate((5.0, 50.0)):
            y2 = _out(model, _perturbed(x, slice(j * fpc, (j + 1) * fpc), seed + 10 * j + k, scale))
            per_token = (y2 - y).abs()[0].reshape(y.shape[1], -1).amax(-1)
            change = torch.maximum(change, per_token.reshape(chunks, c).amax(-1))
        for out_chunk in range(chunks):
            got = bool(change[out_chunk] > UNCHANGED)
            want = expected_dependence(out_chunk, j, **_geometry(model))
            if got != want:
                problems.append(
                    f"output chunk {out_chunk} {'depends' if got else 'does not depend'} on "
                    f"input chunk {j} (change {float(change[out_chunk]):.3g})"
                )
    return problems


def within_chunk_problems(model: Any, seed: int = 0) -> list[str]:
    """``within_chunk``: the first token of a chunk depends on its last token iff "full"."""
    c, s = model.chunk_size, model.samples_per_patch
    if c == 1:
        return []
    x = torch.randn(1, 3 * c * s, model.features, generator=torch.Generator().manual_seed(seed))
    y = _out(model, x)
    last = 2 * c - 1
    y2 = _out(model, _perturbed(x, slice(last * s, (last + 1) * s), seed + 1, 50.0))
    depends = float((y2 - y)[0, c].abs().max()) > UNCHANGED
    want = getattr(model, "within_chunk", "full") == "full"
    if depends != want:
        return [f"token {c} {'depends' if depends else 'does not depend'} on token {last}"]
    return []


def stream_problems(model: Any, trials: int = 4, seed: int = 0, max_frames: int = 40) -> list[str]:
    """Streamed outputs against ``forward`` for random splits (empty pieces included)."""
    if getattr(model, "stream", None) is None:
        return []
    rng = random.Random(seed)
    problems = []
    for trial in range(trials):
        frames = rng.randint(1, max_frames)
        x = torch.randn(frames, model.features, generator=torch.Generator().manual_seed(trial))
        cuts = sorted(rng.randint(0, frames) for _ in range(rng.randint(0, 6)))
        stream = model.stream()
        bounds = [0, *cuts, frames]
        pieces = [stream.feed(x[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
        pieces.append(stream.flush())
        full = _out(model, x[None])[0]
        width = full[0].numel()
        streamed = torch.cat([p.float().reshape(p.shape[0], width) for p in pieces])
        full = full.reshape(-1, width)
        gap = float((streamed - full).abs().max()) if streamed.shape == full.shape else None
        if gap is None or gap > 1e-5 + 1e-5 * float(full.abs().max()):
            problems.append(f"{frames} frames cut at {cuts}: stream differs by {gap}")
    return problems


def check(model: Any, trials: int = 4, max_frames: int = 40) -> list[str]:
    """Every difference between ``model`` and what it claims (empty: none found)."""
    return (
        dependency_problems(model)
        + within_chunk_problems(model)
        + stream_problems(model, trials, max_frames=max_frames)
    )


if __name__ == "__main__":
    from chunkattn.testing.target import import_target_module

    for spec in sys.argv[1:]:
        module, _, name = spec.rpartition(":")
        factory = getattr(import_target_module(module), name)
        for seed in (0, 1, 2, 3):
            try:
                found = check(factory(seed))
            except Exception as exc:  # an entry's error, reported
                found = [f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"]
            print(f"{spec} seed={seed}: {'ok' if not found else '; '.join(found[:3])}")
