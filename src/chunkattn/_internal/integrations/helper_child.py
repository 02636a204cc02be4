"""The helper process (:mod:`chunkattn._internal.engine.helper`): draws from a target's sampler, and runs checks,
on request.

Run as ``python -m chunkattn._internal.integrations.helper_child [--preload SOURCE]`` with another
``PYTHONHASHSEED``; reads one JSON request a line and answers each, in order, with one line:

- ``{"source", "case", "n"}``: the ``n`` draws as ``[chunk_size, context_chunks]`` pairs;
- ``{"check", "source", "profile", "seeds", "timeout", "config"}``: that named check run on the
  target ``source`` (as ``chunkattn verify`` runs it), as ``{"result": CheckResult.as_dict()}``;

or an error text. For draws it imports only the target (and what the target imports), not
chunkattn's test machinery, so it starts in the time of that import; ``--preload`` imports the
target and the test machinery before the first request.
"""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

from chunkattn._internal.engine.helper import sampler_kwargs

__all__ = ["main"]


def _sampler_class(source: str) -> Any:
    if source == "chunkattn":
        from chunkattn._internal.impl.sampler import ChunkConfigSampler

        return ChunkConfigSampler
    from chunkattn._internal.engine.importing import import_target_module

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


def _run_check(request: dict[str, Any]) -> dict[str, Any]:
    import torch

    from chunkattn._internal.checks import CHECKS
    from chunkattn._internal.contract.loader import load_config
    from chunkattn._internal.engine.profiles import profile_settings
    from chunkattn._internal.engine.registry import CheckContext
    from chunkattn._internal.engine.runner import run_check
    from chunkattn._internal.engine.target import load_target

    torch.set_num_threads(1)  # as verify runs it
    target = load_target(request["source"], timeout=request["timeout"])
    ctx = CheckContext(target, load_config(request["config"]))
    profile = profile_settings(request["profile"])
    result = run_check(CHECKS[request["check"]], ctx, profile, request["seeds"])
    return {"result": result.as_dict()}


def _preload(source: str) -> None:
    """Import the target ``source`` and the test machinery (errors wait for a request)."""
    try:
        import torch  # noqa: F401

        from chunkattn._internal import checks  # noqa: F401

        if not source.startswith("chunkattn"):
            from chunkattn._internal.engine.importing import import_target_module

            import_target_module(source)
    except Exception:
        pass
    gc.freeze()  # as verify does: full collections need not scan what the imports left


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    replies, sys.stdout = sys.stdout, sys.stderr  # what a target prints must not mix in
    if argv[:1] == ["--preload"] and len(argv) > 1:
        _preload(argv[1])
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if "check" in request:
                reply: Any = _run_check(request)
            else:
                reply = _draws(request["source"], request["case"], request["n"])
            text = json.dumps(reply)
        except Exception as exc:
            text = json.dumps(f"{exc.__class__.__name__}: {exc}")
        print(text, file=replies, flush=True)


if __name__ == "__main__":
    main()
