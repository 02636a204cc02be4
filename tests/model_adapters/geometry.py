"""A model adapter against what its config claims, measured with chunkattn's own check
functions (one definition: the same ones ``verify --model`` and the survey run), as lists of
problems rather than a first failure, so a test can assert exactly which cells differ.

Run as a script: ``python tests/model_adapters/geometry.py MODULE:FACTORY ...`` prints one line
per target and seed (``ok`` or what differs).
"""

from __future__ import annotations

import random
import sys
from typing import Any

from chunkattn._internal.checks.model import check_lookahead
from chunkattn._internal.checks.stream import check_stream_equivalence
from chunkattn._internal.commands.report import model_claims
from chunkattn._internal.engine.model_target import as_model_target
from chunkattn._internal.engine.registry import CheckFailure


def dependency_problems(model: Any, seed: int = 0) -> list[str]:
    """Where the measured chunk dependence differs from docs/contract.md: What a model declares it reaches formula."""
    claims = model_claims(as_model_target(model))
    if claims.error is not None:
        return [claims.error]
    return [
        f"output chunk {c} {'depends' if got else 'does not depend'} on input chunk {j} "
        f"(change {claims.changes[c][j]:.3g})"
        for c, row in enumerate(claims.measured)
        for j, got in enumerate(row)
        if got != claims.promised[c][j]
    ]


def within_chunk_problems(model: Any, seed: int = 0) -> list[str]:
    """``model.lookahead`` at every token of the first chunks: the declared ``within_chunk``."""
    target = as_model_target(model)
    problems = []
    for chunk in range(2):
        for token in range(target.chunk_size):
            try:
                check_lookahead(target, chunk, token, seed)
            except CheckFailure as exc:
                problems.append(str(exc))
    return problems


def stream_problems(model: Any, trials: int = 4, seed: int = 0, max_frames: int = 40) -> list[str]:
    """``stream.equivalence`` for random splits (empty pieces included)."""
    target = as_model_target(model)
    if target.stream is None:
        return []
    rng = random.Random(seed)
    problems = []
    for trial in range(trials):
        frames = rng.randint(1, max_frames)
        cuts = sorted(rng.randint(0, frames) for _ in range(rng.randint(0, 6)))
        try:
            check_stream_equivalence(target, frames, cuts, trial)
        except CheckFailure as exc:
            problems.append(str(exc))
    return problems


def check(model: Any, trials: int = 4, max_frames: int = 40) -> list[str]:
    """Every difference between ``model`` and what it claims (empty: none found)."""
    return (
        dependency_problems(model)
        + within_chunk_problems(model)
        + stream_problems(model, trials, max_frames=max_frames)
    )


if __name__ == "__main__":
    from chunkattn._internal.engine.target import import_target_module

    for spec in sys.argv[1:]:
        module, _, name = spec.rpartition(":")
        factory = getattr(import_target_module(module), name)
        for seed in (0, 1, 2, 3):
            try:
                found = check(factory(seed))
            except Exception as exc:  # an entry's error, reported
                found = [f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"]
            print(f"{spec} seed={seed}: {'ok' if not found else '; '.join(found[:3])}")
