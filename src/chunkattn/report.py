"""Human-readable views of a geometry: the block picture of a mask and the latency budget."""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .core import ChunkConfig

if TYPE_CHECKING:  # only a type here: the CLI imports this before it needs torch
    import torch

__all__ = [
    "Geometry",
    "block_picture",
    "dependency_picture",
    "geometry",
    "json_safe",
    "name_matches",
    "progress_bar",
]


def json_safe(value: Any) -> Any:
    """``value`` for JSON, which has no inf/NaN: those are written as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def progress_bar(command: str, width: int, disable: bool = False):
    """The transient progress bar of a long command (on stderr; ``disable`` for JSON output)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn(f"[bold]{command}[/] {{task.description:<{width}}}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=disable,
    )


def name_matches(name: str, pattern: str | None) -> bool:
    """``-k``: no pattern, a substring of the check's name, or a glob matching it."""
    return pattern is None or pattern in name or fnmatch.fnmatch(name, pattern)


def block_picture(mask: torch.Tensor, chunk_size: int, max_tokens: int = 64) -> str:
    """Draw a ``(T, T)`` bool mask, ``█`` = may attend, ``·`` = masked, rows = queries.

    Up to ``max_tokens`` it draws tokens with a gap between chunks; beyond, one cell per chunk
    (a chunk cell is filled when its first query sees that key chunk).
    """
    mask = mask.reshape(mask.shape[-2], mask.shape[-1]).cpu()
    seq_len = mask.shape[0]
    if seq_len > max_tokens:
        starts = list(range(0, seq_len, chunk_size))
        cells = mask[starts][:, starts]
        lines = [f"(one cell per chunk of {chunk_size} tokens; {len(starts)} chunks)"]
        lines += ["".join("█" if v else "·" for v in row.tolist()) for row in cells]
        return "\n".join(lines)

    def row_text(row: list[bool]) -> str:
        parts = [
            "".join("█" if v else "·" for v in row[i : i + chunk_size])
            for i in range(0, seq_len, chunk_size)
        ]
        return " ".join(parts)

    lines = []
    for q in range(seq_len):
        if q and q % chunk_size == 0:
            lines.append("")
        lines.append(row_text(mask[q].tolist()))
    return "\n".join(lines)


def dependency_picture(promised: list[list[bool]], measured: list[list[bool]]) -> str:
    """The promised and the measured chunk-dependency matrices side by side; a measured cell
    that differs from the promise is drawn ``✗``.

    >>> print(dependency_picture([[True, False], [True, True]], [[True, True], [True, True]]))
    promised  measured
    █·        █✗
    ██        ██
    """
    width = max(len(promised[0]) if promised else 0, len("promised"))
    lines = [f"{'promised':<{width}}  measured"]
    for want_row, got_row in zip(promised, measured, strict=True):
        left = "".join("█" if v else "·" for v in want_row)
        right = "".join(
            ("█" if got else "·") if got == want else "✗"
            for want, got in zip(want_row, got_row, strict=True)
        )
        lines.append(f"{left:<{width}}  {right}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Geometry:
    """What a chunk config means in tokens and seconds, for one layer and for a stack."""

    chunk_tokens: int | None
    context_chunks: int | None
    timestep_sec: float
    depth: int | None

    def lines(self) -> list[str]:
        ts = self.timestep_sec
        if self.chunk_tokens is None:
            return ["full context: every token sees the whole utterance (no streaming)"]
        c, l_ = self.chunk_tokens, self.context_chunks
        out = [
            f"chunk: {c} tokens = {c * ts:.3g} s; latency until a chunk's outputs: up to "
            f"{c * ts:.3g} s (lookahead inside the chunk: up to {c - 1} tokens = {(c - 1) * ts:.3g} s)",
        ]
        if l_ is None:
            out.append(
                "left context: unlimited (every past chunk is visible; streaming state grows)"
            )
            return out
        out.append(
            f"left context per layer: {l_} chunks = {l_ * c} tokens = {l_ * c * ts:.3g} s "
            f"(+ own chunk: window of up to {(l_ + 1) * c} tokens = {(l_ + 1) * c * ts:.3g} s)"
        )
        if self.depth:
            d = self.depth
            out.append(
                f"whole stack (depth {d}): left receptive field {d * l_} chunks = "
                f"{d * l_ * c} tokens = {d * l_ * c * ts:.3g} s; lookahead stays within the chunk"
            )
        return out


def geometry(config: ChunkConfig, timestep_sec: float, depth: int | None = None) -> Geometry:
    return Geometry(config.chunk_size, config.context_chunks, timestep_sec, depth)
