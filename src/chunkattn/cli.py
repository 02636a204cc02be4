"""The ``chunkattn`` command: ``verify``, ``fuzz``, ``survey``, ``mask``, ``doctor``,
``stream-check``, ``seeds``.

Exit status: 0 all good, 1 a check failed (or a finding), 2 usage or config error — always a
single line naming the file, key or argument, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

import yaml
from rich.console import Console

from .core import (
    DEFAULT_TIMEOUT,
    ChunkConfig,
    ConfigError,
    check_chunk_size,
    check_context_chunks,
)
from .loader import load_config
from .report import block_picture, name_matches, progress_bar

__all__ = ["main"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input; reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise UsageError(f"{self.prog}: {message}")


def _int_or_none(text: str) -> int | None:
    if text.lower() in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'none', got {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


_DB_HELP = (
    "shared example database: redis://HOST:PORT/N or a directory "
    "(default: $CHUNKATTN_DB, else the local .hypothesis directory)"
)


def _build_parser() -> _Parser:
    parser = _Parser(prog="chunkattn", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    verify = sub.add_parser("verify", help="run every check that applies and report")
    verify.add_argument("config", nargs="?", help="YAML config (default: the embedded one)")
    verify.add_argument(
        "--impl",
        default=os.environ.get("CHUNKATTN_IMPL"),
        help="seed-API target: dotted module or .py path (default: $CHUNKATTN_IMPL, else chunkattn)",
    )
    verify.add_argument(
        "--model",
        default=os.environ.get("CHUNKATTN_MODEL"),
        help="model target MODULE:NAME, a factory NAME(seed: int = 0) (default: $CHUNKATTN_MODEL)",
    )
    verify.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"seconds each call into the target may take (default {DEFAULT_TIMEOUT:g}; 0: none)",
    )
    verify.add_argument("--profile", help="Hypothesis profile: dev, ci, precommit, thorough, seeds")
    verify.add_argument(
        "--seeds", help="project regression-seeds file (default: ./chunkattn-seeds.yaml)"
    )
    verify.add_argument(
        "-k", dest="select", help="only checks whose name matches (glob or substring)"
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--db", help=_DB_HELP)
    verify.add_argument("--repro", metavar="DIR", help="write a script per failing check to DIR")

    fuzz = sub.add_parser("fuzz", help="a long campaign in worker processes, one example database")
    fuzz.add_argument("--impl", default=os.environ.get("CHUNKATTN_IMPL"), help="as for verify")
    fuzz.add_argument("--model", default=os.environ.get("CHUNKATTN_MODEL"), help="as for verify")
    fuzz.add_argument("--db", default=os.environ.get("CHUNKATTN_DB"), help=_DB_HELP)
    fuzz.add_argument(
        "--workers", type=_positive_int, default=os.cpu_count() or 1, help="worker processes"
    )
    fuzz.add_argument(
        "--max-time", type=_seconds, default=600.0, help="time budget in seconds (default 600)"
    )
    fuzz.add_argument("-k", dest="select", help="only checks whose name matches")
    fuzz.add_argument(
        "--timeout", type=_seconds, default=DEFAULT_TIMEOUT, help="per-call limit, as for verify"
    )
    fuzz.add_argument("--seed", type=int, help="campaign seed (default: a fresh one, printed)")

    survey = sub.add_parser(
        "survey", help="check the field's own masks and models (every installed adapter)"
    )
    survey.add_argument("--json", action="store_true", help="print a JSON list, one per adapter")
    survey.add_argument("--profile", default="ci", help="Hypothesis profile (default: ci)")
    survey.add_argument("-k", dest="select", help="only checks whose name matches")
    survey.add_argument(
        "--kind", choices=("mask", "model"), help="only mask or only model adapters (default both)"
    )
    survey.add_argument(
        "--timeout", type=_seconds, default=DEFAULT_TIMEOUT, help="per-call limit, as for verify"
    )
    survey.add_argument("--library", help="only this library's entries (its name as printed)")
    survey.add_argument("--repro", metavar="DIR", help="write a script per failing check to DIR")

    mask = sub.add_parser("mask", help="draw the block picture of a chunk mask")
    mask.add_argument("--seq-len", type=int, required=True)
    mask.add_argument("--chunk-size", type=_int_or_none, required=True)
    mask.add_argument("--context-chunks", type=_int_or_none, default=None)

    seeds = sub.add_parser("seeds", help="list or add regression seeds")
    seeds_sub = seeds.add_subparsers(dest="seeds_command", required=True, parser_class=_Parser)
    add = seeds_sub.add_parser("add", help="record a case: chunkattn seeds add CHECK key=value ...")
    add.add_argument("check")
    add.add_argument("values", nargs="+", metavar="key=value")
    add.add_argument("--file", help="seeds file (default: ./chunkattn-seeds.yaml)")
    listing = seeds_sub.add_parser("list", help="show the seeds that will be replayed")
    listing.add_argument("--file", help="project seeds file")
    export = seeds_sub.add_parser("export", help="the failures stored in a database, as seeds")
    export.add_argument("--db", required=True, help=_DB_HELP)
    export.add_argument("--out", help="seeds file to add them to (default: print YAML)")

    doctor = sub.add_parser("doctor", help="tests pass but training fails: diagnose the model")
    doctor.add_argument("config", nargs="?", help="YAML config (default: the embedded one)")
    doctor.add_argument("--steps", type=_positive_int, default=300, help="overfit budget in steps")
    doctor.add_argument(
        "--model",
        help="diagnose your own model instead: MODULE:NAME, a factory NAME(seed: int = 0) whose "
        "model exposes module (SPEC section 9.2)",
    )
    doctor.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        help="seconds each call into the model may take, as for verify",
    )

    stream = sub.add_parser("stream-check", help="streaming equals the full forward; latency")
    stream.add_argument("config", nargs="?", help="YAML config (default: the embedded one)")
    stream.add_argument("--patches", type=int, default=256, help="stream length in patches")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    err = Console(stderr=True, highlight=False)
    try:
        args = _build_parser().parse_args(argv)
        args.whole_process = argv is None  # the command line: this run is the process's life
        handler = {
            "verify": _verify,
            "fuzz": _fuzz,
            "survey": _survey,
            "mask": _mask,
            "seeds": _seeds,
            "doctor": _doctor,
            "stream-check": _stream_check,
        }[args.command]
        return handler(args)
    except (UsageError, ValueError, TypeError, OSError, *_database_lost()) as exc:
        err.print(f"chunkattn: error: {exc}", markup=False, soft_wrap=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _database_lost() -> tuple[type[BaseException], ...]:
    """``DatabaseLost``, once its module is loaded (none can be raised before): the CLI starts
    without importing the test suite, torch or Hypothesis."""
    database = sys.modules.get("chunkattn.testing.database")
    return (database.DatabaseLost,) if database is not None else ()


# --------------------------------------------------------------------------- verify


def _verify(args: argparse.Namespace) -> int:
    db = args.db or os.environ.get("CHUNKATTN_DB")
    config = load_config(args.config)  # a bad config is one line before anything heavy starts
    from .helper import NEEDED_BY, helper

    if (args.impl is not None or args.model is None) and any(
        name_matches(name, args.select) for name in NEEDED_BY
    ):
        # the second process (sampler.isolation, offloaded checks) imports while this one does
        helper(args.impl or "chunkattn")

    import torch

    from .testing import CHECKS, CheckContext, active_profile_name, load_target, profile_settings
    from .testing.offload import offload
    from .testing.runner import run_checks
    from .testing.seeds import load_seeds
    from .verification import build_report, render_text

    # the checks run many tiny forwards: one intra-op thread is fastest, and never oversubscribes
    torch.set_num_threads(1)
    target = load_target(args.impl, args.model, timeout=args.timeout)
    if args.whole_process:
        # what torch, Hypothesis and the target left lives to the end of the command: no full
        # collection need scan it again (each costs a quarter of a second; Hypothesis starts
        # with one). Not when called in-process, where later garbage would be kept for good.
        gc.freeze()
    profile_name = active_profile_name(args.profile)
    profile = profile_settings(profile_name)
    screened = None
    if db:
        from hypothesis import settings

        from .testing.database import open_database

        profile = settings(profile, database=open_database(db))
        screened = _set_aside(profile.database, db)
    seeds = load_seeds(args.seeds)
    checks = [c for name, c in CHECKS.items() if name_matches(name, args.select)]
    if not checks:
        raise UsageError(f"-k {args.select!r} matches no check; known: {', '.join(CHECKS)}")

    ctx = CheckContext(target, config)
    # a check run in the helper process meanwhile (never with a shared database)
    offloaded = offload(checks, ctx, profile_name, seeds, config=args.config) if not db else None
    here = [c for c in checks if not (offloaded and c.name in offloaded)]
    progress = progress_bar("verify", 28, disable=args.json)
    with progress:
        task = progress.add_task("", total=len(checks))
        done = iter(range(len(checks) - len(here), len(checks)))
        outcome = run_checks(
            here,
            ctx,
            profile,
            seeds,
            on_check=lambda name: progress.update(task, description=name, completed=next(done)),
        )
        if offloaded:
            outcome.results = offloaded.merge(outcome.results, checks, ctx, profile, seeds)
    report = build_report(target, config, profile_name, outcome.results, outcome.lost)
    if screened is not None:
        report.set_aside = {
            "count": screened.set_aside,
            "reason": screened.reason,
            "not_replayed": screened.over_cap,
        }
    if args.repro:
        from .adapters.repro import report_verify_repros

        report_verify_repros(
            args.impl, args.model, outcome.results, args.repro, target.within_chunk
        )
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
        return report.exit_status
    render_text(report, Console(highlight=False, soft_wrap=True))
    if outcome.lost is not None:
        Console(stderr=True, highlight=False).print(
            f"chunkattn: error: {outcome.lost}; verify stopped", markup=False, soft_wrap=True
        )
    return report.exit_status


def _set_aside(database: Any, url: str) -> Any:
    """Screen the stored failures of ``database``; say on stderr how many are set aside."""
    from .testing.database import screen_failures

    screened = screen_failures(database)
    note = screened.note(url)
    if note:
        Console(stderr=True, highlight=False).print(
            f"chunkattn: {note}", markup=False, soft_wrap=True
        )
    return screened


# --------------------------------------------------------------------------- fuzz


def _fuzz(args: argparse.Namespace) -> int:
    from .fuzz import run_fuzz

    return run_fuzz(
        impl=args.impl,
        model=args.model,
        db=args.db,
        workers=args.workers,
        max_time=args.max_time,
        select=lambda name: name_matches(name, args.select),
        timeout=args.timeout,
        seed=args.seed,
    )


def _survey(args: argparse.Namespace) -> int:
    from .survey import run_survey

    return run_survey(
        args.json,
        args.profile,
        select=args.select,
        timeout=args.timeout,
        kind=args.kind,
        library=args.library,
        repro=args.repro,
    )


# --------------------------------------------------------------------------- mask


def _mask(args: argparse.Namespace) -> int:
    from .masks import create_dynamic_chunk_mask

    if args.seq_len < 1:
        raise UsageError(f"--seq-len must be >= 1, got {args.seq_len}")
    check_chunk_size(args.chunk_size, "--chunk-size")
    check_context_chunks(args.context_chunks, "--context-chunks")
    config = ChunkConfig(args.chunk_size, args.context_chunks)
    mask = create_dynamic_chunk_mask(args.seq_len, config)
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"T={args.seq_len}, {config}  (rows: queries, █ = may attend)", markup=False)
    if mask is None:
        out.print("full context: every query sees every key (no mask)", markup=False)
    else:
        out.print(block_picture(mask, args.chunk_size), markup=False)
    return EXIT_OK


# --------------------------------------------------------------------------- seeds


def _seeds(args: argparse.Namespace) -> int:
    from .testing.seeds import DEFAULT_PROJECT_SEEDS, add_seed, load_seeds, project_seeds_path

    out = Console(highlight=False, soft_wrap=True)
    if args.seeds_command == "export":
        from .fuzz import seeds_from_database

        return seeds_from_database(args.db, args.out)
    if args.seeds_command == "list":
        for name, cases in load_seeds(args.file).items():
            for case in cases:
                out.print(f"{name}: {case}", markup=False)
        return EXIT_OK
    case: dict[str, Any] = {}
    for item in args.values:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise UsageError(f"seeds add: expected key=value, got {item!r}")
        try:
            case[key] = yaml.safe_load(text)
        except yaml.YAMLError:
            raise UsageError(f"seeds add: cannot read the value of {key!r}: {text!r}") from None
    path = project_seeds_path(args.file) or DEFAULT_PROJECT_SEEDS
    _validate_case(args.check, case)
    added = add_seed(path, args.check, case)
    out.print(
        f"{'added' if added else 'already present'}: {args.check} {case} in {path}", markup=False
    )
    return EXIT_OK


def _validate_case(name: str, case: dict[str, Any]) -> None:
    """A new seed must at least be runnable: its keys must be what the check reads."""
    from .testing import CHECKS, CheckContext, CheckFailure, builtin_targets
    from .testing.case_schema import validate

    if name not in CHECKS:
        raise ConfigError(f"unknown check; known: {', '.join(CHECKS)}", key=name)
    reason = validate(name, case)
    if reason is not None:
        raise UsageError(f"seeds add: {name}: {reason}")
    try:
        CHECKS[name].run(CheckContext(builtin_targets()["chunkattn"]), case)
    except CheckFailure:
        pass  # a case chunkattn itself fails is still a fine seed for another target
    except KeyError as exc:
        raise UsageError(f"seeds add: {name} cases need the key {exc.args[0]!r}") from None
    except Exception as exc:
        raise UsageError(
            f"seeds add: the case does not run: {exc.__class__.__name__}: {exc}"
        ) from None


# --------------------------------------------------------------------------- doctor, stream-check


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor, run_model_doctor

    if args.model:
        if args.config:
            raise UsageError("doctor: give CONFIG (chunkattn's own model) or --model, not both")
        return run_model_doctor(args.model, steps=args.steps, timeout=args.timeout)
    return run_doctor(load_config(args.config), steps=args.steps)


def _stream_check(args: argparse.Namespace) -> int:
    from .stream_check import run_stream_check

    return run_stream_check(load_config(args.config), patches=args.patches)


if __name__ == "__main__":
    sys.exit(main())
