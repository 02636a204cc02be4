"""``chunkattn stream-check``: stream random input through the configured model in random pieces,
compare with the full forward through the registered ``stream.*`` check functions (one tolerance,
one definition), and report latency per chunk and state size.

A command, like :mod:`chunkattn._internal.commands.cli` and :mod:`chunkattn._internal.commands.doctor`: it sits on top and imports
down (model, streaming, the checks), never the reverse.
"""

from __future__ import annotations

import time

import torch
from rich.console import Console

from chunkattn._internal.checks.model import differs, run_forward
from chunkattn._internal.checks.stream import check_bounded_state
from chunkattn._internal.contract.config import ProjectConfig
from chunkattn._internal.contract.core import ConfigError
from chunkattn._internal.engine.own_model import model_target
from chunkattn._internal.engine.results import ExitCode
from chunkattn._internal.impl.model import TransformerModel
from chunkattn._internal.impl.streaming import StreamingEncoder

__all__ = ["run_stream_check"]


def run_stream_check(config: ProjectConfig, *, patches: int = 256, seed: int = 0) -> ExitCode:
    """Print the comparison (eager and window backends), latency and state; 0 pass, 1 fail."""
    out = Console(highlight=False, soft_wrap=True)
    if config.model is None:
        raise ConfigError(
            "missing key (stream-check needs a model.transformer block)",
            key="model.transformer",
            source=config.source,
        )
    model = TransformerModel(config.model, config.chunked, seed=seed).eval()
    target = model_target(model)
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
        peak_state = max(peak_state, *stream.cached_tokens())
        start += size
    pieces.append(stream.flush())
    streamed = torch.cat(pieces)
    verdicts = {}
    for backend in ("eager", "window"):
        model.attention_backend = backend
        full = run_forward(target, x[None], torch.tensor([frames]))[0]
        verdicts[backend] = (float((full - streamed).abs().max()), not differs(streamed, full))
    model.attention_backend = "eager"
    bounded = None
    if stream.context_chunks is not None:
        try:
            check_bounded_state(target, piece=stream.frames_per_chunk, seed=seed)
            bounded = True
        except AssertionError:
            bounded = False
    ts = config.chunked.timestep_duration_sec
    c, l_ = stream.chunk_size, stream.context_chunks
    out.print(
        f"stream-check: {config.source}, eval config C={c}, L={l_}, {patches} patches in random pieces",
        markup=False,
    )
    for backend, (diff, ok) in verdicts.items():
        out.print(
            f"{'PASS' if ok else 'FAIL'}  stream.equivalence vs {backend:<6} max |diff| = {diff:.2e}",
            markup=False,
        )
    wall = sorted(chunk_times)[len(chunk_times) // 2] if chunk_times else 0.0
    out.print(
        f"latency per chunk: {c * ts:.3g} s of signal ({c} tokens), median wall time {wall * 1e3:.2f} ms",
        markup=False,
    )
    limit = "unlimited" if stream.cache_limit is None else f"<= {stream.cache_limit}"
    state = "" if bounded is None else ("; state bounded" if bounded else "; STATE GROWS")
    out.print(
        f"state: at most {peak_state} cached tokens per layer ({limit}), {len(model.blocks)} layers{state}",
        markup=False,
    )
    return ExitCode.of(all(ok for _, ok in verdicts.values()) and bounded is not False)
