"""The second Python process of ``sampler.isolation``: draws from a target's sampler on request.

Run as ``python -m chunkattn._isolation_child`` with another ``PYTHONHASHSEED``; reads one JSON
request a line (``{"source", "case", "n"}``) and answers with the ``n`` draws as
``[chunk_size, context_chunks]`` pairs, or an error text. It imports only the target (and what
the target imports), not chunkattn's test machinery, so it starts in the time of that import.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["sampler_kwargs"]


def sampler_kwargs(case: dict[str, Any]) -> dict[str, Any]:
    """The ``ChunkConfigSampler`` arguments of a flat sampler case."""
    return dict(
        chunk_size_range=(case["chunk_size_min"], case["chunk_size_max"]),
        context_sec_range=(case["context_sec_min"], case["context_sec_max"]),
        timestep_duration_sec=case["timestep_duration_sec"],
        chunkwise_prob=case["chunkwise_prob"],
        left_constrain_prob=case["left_constrain_prob"],
        seed=case["seed"],
    )


def _sampler_class(source: str) -> Any:
    if source == "chunkattn":
        from .sampler import ChunkConfigSampler

        return ChunkConfigSampler
    from .importing import import_target_module

    return import_target_module(source).ChunkConfigSampler


def _draws(source: str, case: dict[str, Any], n: int) -> list[list[int | None]]:
    sampler = _sampler_class(source)(**sampler_kwargs(case))
    out = []
    for _ in range(n):
        config = sampler.sample()
        chunk, context = config.chunk_size, config.context_chunks
        out.append(
            [None if chunk is None else int(chunk), None if context is None else int(context)]
        )
    return out


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply: Any = _draws(request["source"], request["case"], request["n"])
        except Exception as exc:
            reply = f"{exc.__class__.__name__}: {exc}"
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
