"""The ``chunkattn`` command: ``verify``, ``fuzz``, ``survey``, ``mask``, ``doctor``,
``stream-check``, ``seeds``, ``explain``.

Exit status (:class:`~chunkattn._internal.engine.results.ExitCode`): 0 all good, 1 a check
failed (or a finding), 2 usage or config error — always a single line naming the file, key or
argument, never a traceback. Each subcommand is one :class:`Command`: its options (declared
once, in :mod:`chunkattn._internal.engine.options`, shared with the pytest plugin) and the
function that runs it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from rich.console import Console

from chunkattn._internal.commands.render import block_picture, name_matches
from chunkattn._internal.contract.core import (
    ChunkConfig,
    ConfigError,
    check_chunk_size,
    check_context_chunks,
)
from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.engine import options as o
from chunkattn._internal.engine.options import Option, UsageError, add_options
from chunkattn._internal.engine.results import ExitCode

__all__ = ["UsageError", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise UsageError(f"{self.prog}: {message}")


# the options only the commands take (those the pytest plugin shares are in engine.options)
_FLAG = (("action", "store_true"),)
JSON = Option(("--json",), "json", "print the report as JSON", extra=_FLAG)
WORKERS = Option(("--workers",), "workers", "worker processes", o.positive_int, os.cpu_count() or 1)
MAX_TIME = Option(
    ("--max-time",), "max_time", "time budget in seconds (default 600)", o.seconds, 600.0
)
SEED = Option(("--seed",), "seed", "campaign seed (default: a fresh one, printed)", int)
REPRO = Option(
    ("--repro",),
    "repro",
    "write a standalone reproduction script per failing check to DIR (torch and the library only)",
    extra=(("metavar", "DIR"),),
)
LIBRARY = Option(("--library",), "library", "only this library's entries (its name as printed)")
KIND = Option(
    ("--kind",),
    "kind",
    "only mask or only model adapters (default both)",
    extra=(("choices", ("mask", "model")),),
)
SEQ_LEN = Option(("--seq-len",), "seq_len", "", int, extra=(("required", True),))
CHUNK_SIZE = Option(("--chunk-size",), "chunk_size", "", o.int_or_none, extra=(("required", True),))
CONTEXT_CHUNKS = Option(("--context-chunks",), "context_chunks", "", o.int_or_none)
SEEDS_FILE = Option(("--file",), "file", "seeds file (default: ./chunkattn-seeds.yaml)")
STEPS = Option(("--steps",), "steps", "overfit budget in steps", type=o.positive_int, default=300)
DOCTOR_MODEL = o.MODEL.with_(
    env=None,
    help="diagnose your own model instead: MODULE:NAME, a factory NAME(seed: int = 0) whose "
    "model exposes module (docs/contract.md: The training side)",
)
PATCHES = Option(("--patches",), "patches", "stream length in patches", int, 256)
CHECK = Option(("check",), "check", "a check's name, as verify lists it")
CACHE = Option(
    ("--cache",),
    "cache",
    "skip the run if the same command passed and nothing it read has changed since (the "
    "pre-commit hook's way; precommit, ci and seeds profiles only); --no-cache: always run",
    default=False,
    extra=(("action", argparse.BooleanOptionalAction),),
)


@dataclass(frozen=True)
class Command:
    """One subcommand: its help, its options, and the function that runs it."""

    name: str
    help: str
    options: tuple[Option, ...]
    run: Callable[[argparse.Namespace], ExitCode]


def _verify(args: argparse.Namespace) -> ExitCode:
    from chunkattn._internal.commands.cached import cached_verify

    return cached_verify(args, _run_verify)


def _run_verify(args: argparse.Namespace) -> ExitCode:
    from chunkattn._internal.commands.verify import main as verify

    return verify(args)


def _explain(args: argparse.Namespace) -> ExitCode:
    from chunkattn._internal.commands.explain import main as explain

    return ExitCode(explain(args.check, sys.stdout))


def _commands() -> tuple[Command, ...]:
    run_options = (o.IMPL, o.MODEL, o.TIMEOUT, o.PRECISION, o.DEVICE)
    return (
        Command(
            "verify",
            "run every check that applies and report",
            (o.CONFIG, *run_options, o.PROFILE, o.SEEDS, o.SELECT, JSON, o.DB, REPRO, CACHE),
            _verify,
        ),
        Command(
            "fuzz",
            "a long campaign in worker processes, one example database",
            (*run_options, o.DB, WORKERS, MAX_TIME, o.SELECT, SEED),
            _fuzz,
        ),
        Command(
            "survey",
            "check the field's own masks and models (every installed adapter)",
            (
                JSON.with_(help="print a JSON list, one per adapter"),
                o.PROFILE.with_(default="ci", help="Hypothesis profile (default: ci)"),
                o.SELECT,
                KIND,
                LIBRARY,
                o.TIMEOUT,
                REPRO,
                o.PRECISION,
                WORKERS.with_(
                    help="worker processes, each surveying whole entries (default: the cores "
                    "this process may use; 1: every entry in this process, in order)",
                    default=o.cores(),
                ),
            ),
            _survey,
        ),
        Command(
            "mask",
            "draw the block picture of a chunk mask",
            (SEQ_LEN, CHUNK_SIZE, CONTEXT_CHUNKS),
            _mask,
        ),
        Command("seeds", "list or add regression seeds", (), _seeds),
        Command(
            "doctor",
            "tests pass but training fails: diagnose the model",
            (o.CONFIG, STEPS, DOCTOR_MODEL, o.TIMEOUT, o.PRECISION, o.DEVICE),
            _doctor,
        ),
        Command(
            "stream-check",
            "streaming equals the full forward; latency",
            (o.CONFIG, PATCHES),
            _stream_check,
        ),
        Command("explain", "what a check asserts, why, and how to fix it", (CHECK,), _explain),
    )


def _add_seeds_commands(seeds: argparse.ArgumentParser) -> None:
    sub = seeds.add_subparsers(dest="seeds_command", required=True, parser_class=_Parser)
    add = sub.add_parser("add", help="record a case: chunkattn seeds add CHECK key=value ...")
    add.add_argument("check")
    add.add_argument("values", nargs="+", metavar="key=value")
    SEEDS_FILE.add_to(add)
    SEEDS_FILE.with_(help="project seeds file").add_to(
        sub.add_parser("list", help="show the seeds that will be replayed")
    )
    export = sub.add_parser("export", help="the failures stored in a database, as seeds")
    o.DB.with_(env=None, extra=(("required", True),)).add_to(export)
    export.add_argument("--out", help="seeds file to add them to (default: print YAML)")


def _build_parser() -> _Parser:
    parser = _Parser(prog="chunkattn", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in _commands():
        command_parser = sub.add_parser(command.name, help=command.help)
        add_options(command_parser, command.options)
        command_parser.set_defaults(run=command.run)
        if command.name == "seeds":
            _add_seeds_commands(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> ExitCode:
    err = Console(stderr=True, highlight=False)
    try:
        args = _build_parser().parse_args(argv)
        args.whole_process = argv is None  # the command line: this run is the process's life
        return ExitCode(args.run(args))
    except (UsageError, ValueError, TypeError, OSError, *_database_lost()) as exc:
        err.print(f"chunkattn: error: {exc}", markup=False, soft_wrap=True)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


def _database_lost() -> tuple[type[BaseException], ...]:
    """``DatabaseLost``, once its module is loaded (none can be raised before): the CLI starts
    without importing the test suite, torch or Hypothesis."""
    database = sys.modules.get("chunkattn._internal.engine.database")
    return (database.DatabaseLost,) if database is not None else ()


# --------------------------------------------------------------------------- fuzz


def _fuzz(args: argparse.Namespace) -> ExitCode:
    from chunkattn._internal.commands.fuzz import run_fuzz

    return run_fuzz(
        impl=args.impl,
        model=args.model,
        db=args.db,
        workers=args.workers,
        max_time=args.max_time,
        select=lambda name: name_matches(name, args.select),
        timeout=args.timeout,
        seed=args.seed,
        precisions=args.precision,
        device=args.device,
    )


def _survey(args: argparse.Namespace) -> ExitCode:
    from chunkattn._internal.commands.survey import run_survey

    return run_survey(
        args.json,
        args.profile,
        select=args.select,
        timeout=args.timeout,
        kind=args.kind,
        library=args.library,
        repro=args.repro,
        precisions=args.precision,
        workers=args.workers,
    )


# --------------------------------------------------------------------------- mask


def _mask(args: argparse.Namespace) -> ExitCode:
    from chunkattn._internal.impl.masks import create_dynamic_chunk_mask

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
    return ExitCode.OK


# --------------------------------------------------------------------------- seeds


def _seeds(args: argparse.Namespace) -> ExitCode:
    from chunkattn._internal.engine.seeds import (
        DEFAULT_PROJECT_SEEDS,
        add_seed,
        load_seeds,
        project_seeds_path,
    )

    out = Console(highlight=False, soft_wrap=True)
    if args.seeds_command == "export":
        from chunkattn._internal.commands.fuzz import seeds_from_database

        return seeds_from_database(args.db, args.out)
    if args.seeds_command == "list":
        for name, cases in load_seeds(args.file).items():
            for case in cases:
                out.print(f"{name}: {case}", markup=False)
        return ExitCode.OK
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
    return ExitCode.OK


def _validate_case(name: str, case: dict[str, Any]) -> None:
    """A new seed must at least be runnable: its keys must be what the check reads."""
    from chunkattn._internal.checks import CHECKS
    from chunkattn._internal.engine.registry import CheckContext, CheckFailure, validate
    from chunkattn._internal.engine.target import builtin_targets

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


def _doctor(args: argparse.Namespace) -> ExitCode:
    from chunkattn._internal.commands.doctor import run_doctor, run_model_doctor

    if args.model:
        if args.config:
            raise UsageError("doctor: give CONFIG (chunkattn's own model) or --model, not both")
        return run_model_doctor(
            args.model,
            steps=args.steps,
            timeout=args.timeout,
            precisions=args.precision,
            device=args.device,
        )
    return run_doctor(load_config(args.config), steps=args.steps)


def _stream_check(args: argparse.Namespace) -> ExitCode:
    from chunkattn._internal.commands.stream_check import run_stream_check

    return run_stream_check(load_config(args.config), patches=args.patches)


if __name__ == "__main__":
    sys.exit(main())
