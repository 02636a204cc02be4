"""``chunkattn verify --cache``: a run whose target, config, seeds, code and installed libraries
are all unchanged since the same command last passed is skipped, and says so.

The pre-commit hook passes ``--cache``: it fires on every commit that touches a ``.py`` or
``.yaml`` file, and most of those leave the chunking code alone. A skip prints one line naming
what was skipped, why, and when the remembered run passed; ``--no-cache`` runs the checks. What
counts as unchanged, and why a rerun could not differ, is in
:mod:`chunkattn._internal.engine.green_runs`. Without ``--cache`` nothing here runs: verify's
output and exit codes are as they always were.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib import resources
from typing import Any

from chunkattn._internal.engine.green_runs import find, remember
from chunkattn._internal.engine.options import DEFAULT_PROJECT_SEEDS
from chunkattn._internal.engine.profile_names import REPEATABLE, active_profile_name
from chunkattn._internal.engine.results import ExitCode

__all__ = ["cached_verify", "not_cacheable"]


def not_cacheable(args: argparse.Namespace, profile: str) -> str | None:
    """Why this verify run may not be skipped even when unchanged (None: it may)."""
    if profile not in REPEATABLE:
        return f"the {profile} profile draws new examples on every run"
    if args.db:
        return "--db replays what others stored in the shared database since"
    if args.model:
        return "a model target may read weights and data files, which are not modules"
    if args.repro:
        return "--repro writes its scripts on a failing run"
    if args.json:
        return "--json prints the full report"
    return None


def _command(args: argparse.Namespace, profile: str) -> dict[str, Any]:
    """Everything of the command line and process that decides what a run checks."""
    return {
        "impl": args.impl,
        "config": args.config,
        "profile": profile,
        "select": args.select,
        "seeds": args.seeds,
        "timeout": args.timeout,
        "precision": args.precision,
        "device": args.device,
        "cwd": os.getcwd(),
        "python": [sys.executable, sys.version],
        "pythonpath": os.environ.get("PYTHONPATH"),
        "hash_seed": os.environ.get("PYTHONHASHSEED"),
    }


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files a run reads that are not modules: the config, the project seeds file (the
    default one too: it may appear), chunkattn's embedded config and seeds."""
    data = resources.files("chunkattn") / "data"  # where the loaders read them
    files = [str(data / "default.yaml"), str(data / "seeds.yaml")]
    files += [f for f in (args.config, args.seeds, DEFAULT_PROJECT_SEEDS) if f]
    return files


def cached_verify(
    args: argparse.Namespace, verify: Callable[[argparse.Namespace], ExitCode]
) -> ExitCode:
    """``verify(args)``, unless ``args.cache`` and an unchanged green run is remembered; a run
    that exits 0 is remembered (never one that fails or errs)."""
    if not args.cache:
        return verify(args)
    profile = active_profile_name(args.profile)
    reason = not_cacheable(args, profile)
    if reason is not None:
        print(f"chunkattn: --cache not used: {reason}", file=sys.stderr)
        return verify(args)
    command, inputs = _command(args, profile), _inputs(args)
    hit = find(command, inputs)
    if hit is not None:
        selected = f" -k {args.select}" if args.select else ""
        print(
            f"chunkattn verify: skipped (cached): {args.impl or 'chunkattn'} passed verify "
            f"--profile {profile}{selected} at {hit.when}, and nothing that run read has changed "
            "since (the target, the modules it imports, the config, the seeds, the installed "
            "libraries); --no-cache runs the checks"
        )
        return ExitCode.OK
    code = verify(args)
    if code == ExitCode.OK:
        remember(command, inputs)
    return code
