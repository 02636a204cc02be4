"""Human-readable views of a geometry: the block picture of a mask and the latency budget."""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chunkattn._internal.contract.core import ChunkConfig

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


def progress_bar(command: str, width: int, disable: bool = False, console: Any = None):
    """The transient progress bar of a long command: on ``console`` (a terminal the command
    also prints its lines to, which rich keeps above the bar), else on stderr; ``disable`` for
    JSON output. Output on stdout is never redirected into the bar's stream."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn(f"[bold]{command}[/] {{task.description:<{width}}}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console if console is not None else Console(stderr=True),
        transient=True,
        disable=disable,
        redirect_stdout=False,
        redirect_stderr=False,
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
    """What a streaming geometry means in tokens (and seconds, where a timestep is declared), for
    one layer and for the whole stack.

    ``layer_context``: ``L`` of each layer (``None``: a global layer), or None when the depth is
    unknown and ``context_chunks`` holds the one ``L``. ``left_reach``: tokens each layer's
    convolutions reach left; ``lookahead_frames``: frames a token reads past its own patch.
    """

    chunk_tokens: int | None
    context_chunks: int | None
    timestep_sec: float | None
    depth: int | None
    layer_context: tuple[int | None, ...] | None = None
    left_reach: int = 0
    lookahead_frames: int = 0
    lookbehind_frames: int = 0
    samples_per_patch: int = 1
    within_chunk: str = "full"

    def _span(self, tokens: float) -> str:
        """``tokens`` in tokens, and in seconds where the timestep is known."""
        text = f"{tokens:g} tokens"
        if self.timestep_sec is not None:
            text += f" = {tokens * self.timestep_sec:.3g} s"
        return text

    def lines(self) -> list[str]:
        if self.chunk_tokens is None:
            return ["full context: every token sees the whole utterance (no streaming)"]
        c, s = self.chunk_tokens, self.samples_per_patch
        ahead = self.lookahead_frames / s
        inside = (
            "none (causal inside the chunk)"
            if self.within_chunk == "causal"
            else f"up to {self._span(c - 1)}"
        )
        latency = f"{self._span(c + ahead)}"
        if self.lookahead_frames:
            latency += f" (the chunk + {self.lookahead_frames} lookahead frames)"
        out = [
            f"chunk: {self._span(c)}; latency until a chunk's outputs: {latency}; lookahead "
            f"inside the chunk: {inside}"
        ]
        layers = self.layer_context
        if layers is None:
            layers = (self.context_chunks,) * (self.depth or 1)
        reach = self.left_reach
        conv = f" + {reach} tokens of convolution reach" if reach else ""
        if len(set(layers)) == 1:
            l_ = layers[0]
            if l_ is None:
                out.append(
                    "left context: unlimited (every past chunk is visible; streaming state grows)"
                )
                return out
            out.append(
                f"left context per layer: {l_} chunks = {self._span(l_ * c)}{conv} (+ own chunk: "
                f"window of up to {self._span((l_ + 1) * c + reach)})"
            )
        else:
            shown = ", ".join("global" if l_ is None else str(l_) for l_ in layers)
            out.append(f"left context per layer, in chunks: [{shown}]{conv}")
        if self.depth:
            if any(l_ is None for l_ in layers):
                out.append(
                    f"whole stack (depth {len(layers)}): left receptive field unlimited "
                    "(a global layer sees every past chunk)"
                )
            else:
                behind = self.lookbehind_frames
                tokens = sum(l_ * c + reach for l_ in layers) + behind / s
                chunks = sum(l_ + -(-reach // c) for l_ in layers) + -(-behind // (c * s))
                right = (
                    f"; lookahead {self.lookahead_frames} frames past the chunk"
                    if self.lookahead_frames
                    else "; lookahead stays within the chunk"
                )
                out.append(
                    f"whole stack (depth {len(layers)}): left receptive field "
                    f"{self._span(tokens)} ({chunks} chunks at chunk level){right}"
                )
        return out


def geometry(config: ChunkConfig, timestep_sec: float | None, depth: int | None = None) -> Geometry:
    """The geometry of one chunk config (the same ``L`` in every layer)."""
    return Geometry(config.chunk_size, config.context_chunks, timestep_sec, depth)
