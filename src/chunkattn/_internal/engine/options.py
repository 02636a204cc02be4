"""Every option of a chunkattn run, declared once: the ``chunkattn`` commands (argparse) and the
pytest plugin both build their options from these declarations, so ``--impl``, ``--timeout``,
``--db`` ... mean the same thing, take the same values and say the same help everywhere.

An :class:`Option` names its command-line spelling (``flags``), its pytest spellings
(``pytest_flags``, empty when the plugin has no such option; their ``dest`` is
``chunkattn_`` + ``dest``), how its text is read (``type``), and its default: the user's
environment variable ``env`` when set, else ``default``. Nothing here imports more than the
standard library and the contract, so the CLI starts fast.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from chunkattn._internal.contract.core import DEFAULT_TIMEOUT

__all__ = [
    "CONFIG",
    "DB",
    "DEVICE",
    "IMPL",
    "MODEL",
    "PLUGIN_OPTIONS",
    "PRECISION",
    "PROFILE",
    "RECORD_SEEDS",
    "SEEDS",
    "SELECT",
    "TIMEOUT",
    "DEFAULT_PROJECT_SEEDS",
    "Option",
    "UsageError",
    "add_options",
    "cores",
    "int_or_none",
    "positive_int",
    "seconds",
]


class UsageError(Exception):
    """Bad command-line input; reported as one line with exit status 2."""


def int_or_none(text: str) -> int | None:
    if text.lower() in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'none', got {text!r}") from None


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


#: the project's regression-seeds file, read from the working directory when no ``--seeds`` or
#: ``$CHUNKATTN_SEEDS`` names another (here, with the option that names it, so the standard
#: library is all ``verify --cache`` needs to find it)
DEFAULT_PROJECT_SEEDS = "chunkattn-seeds.yaml"


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one, else the
    machine's count): the default number of worker processes."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


@dataclass(frozen=True)
class Option:
    """One option: its spellings, where it is stored, how it is read, its help and default."""

    flags: tuple[str, ...]
    dest: str
    help: str
    type: Callable[[str], Any] | None = None
    default: Any = None
    #: the user's environment variable that gives the default when set
    env: str | None = None
    #: the plugin's spellings (``dest``: ``chunkattn_`` + :attr:`dest`); empty: CLI only
    pytest_flags: tuple[str, ...] = ()
    #: extra argparse keywords: ``action``, ``nargs``, ``choices``, ``required``, ``metavar``
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def pytest_dest(self) -> str:
        return f"chunkattn_{self.dest}"

    @property
    def positional(self) -> bool:
        return not self.flags[0].startswith("-")

    def resolved_default(self) -> Any:
        """The default: ``$env`` if the user set it, else :attr:`default`."""
        if self.env and os.environ.get(self.env):
            return os.environ[self.env]
        return self.default

    def with_(self, **changes: Any) -> Option:
        """This option as one command takes it (another default or help)."""
        return replace(self, **changes)

    def _keywords(self) -> dict[str, Any]:
        out: dict[str, Any] = {"help": self.help, **dict(self.extra)}
        if self.type is not None:
            out["type"] = self.type
        return out

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        """Declare this option on an argparse (sub)command."""
        keywords = self._keywords()
        if self.positional:
            parser.add_argument(*self.flags, **keywords)
            return
        if keywords.get("action") != "store_true":
            keywords["default"] = self.resolved_default()
        parser.add_argument(*self.flags, dest=self.dest, **keywords)

    def add_to_pytest(self, group: Any) -> None:
        """Declare this option in the plugin's option group. Its default there is None (the
        plugin is inert unless an option is given); :meth:`value` applies the real one."""
        group.addoption(*self.pytest_flags, dest=self.pytest_dest, **self._keywords())

    def value(self, config: Any) -> Any:
        """The option's value in a pytest run: given, else its default (:meth:`resolved_default`)."""
        given = config.getoption(self.pytest_dest, None)
        return self.resolved_default() if given is None else given


def add_options(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    for option in options:
        option.add_to(parser)


CONFIG = Option(
    ("config",), "config", "YAML config (default: the embedded one)", extra=(("nargs", "?"),)
)
IMPL = Option(
    ("--impl",),
    "impl",
    "seed-API target: dotted module or .py path (default: $CHUNKATTN_IMPL, else chunkattn)",
    env="CHUNKATTN_IMPL",
    pytest_flags=("--impl", "--chunkattn-impl"),
)
MODEL = Option(
    ("--model",),
    "model",
    "model target MODULE:NAME, a factory NAME(seed: int = 0) (default: $CHUNKATTN_MODEL)",
    env="CHUNKATTN_MODEL",
    pytest_flags=("--model", "--chunkattn-model"),
)
TIMEOUT = Option(
    ("--timeout",),
    "timeout",
    f"seconds each call into the target may take (default {DEFAULT_TIMEOUT:g}; 0: none)",
    type=seconds,
    default=DEFAULT_TIMEOUT,
    pytest_flags=("--chunkattn-timeout",),
)
PROFILE = Option(
    ("--profile",),
    "profile",
    "Hypothesis profile: dev, ci, precommit, thorough, seeds (default: $CHUNKATTN_PROFILE, "
    "else ci when $CI is set, else dev)",
    pytest_flags=("--chunkattn-profile",),
)
SEEDS = Option(
    ("--seeds",),
    "seeds",
    f"project regression-seeds YAML file (default: $CHUNKATTN_SEEDS, else ./{DEFAULT_PROJECT_SEEDS})",
    env="CHUNKATTN_SEEDS",
    pytest_flags=("--seeds", "--chunkattn-seeds"),
)
RECORD_SEEDS = Option(
    ("--record-seeds",),
    "record_seeds",
    "append failing checks' shrunk counterexamples to the seeds file",
    extra=(("action", "store_true"),),
    pytest_flags=("--record-seeds", "--chunkattn-record-seeds"),
)
DB = Option(
    ("--db",),
    "db",
    "shared example database: redis://HOST:PORT/N or a directory "
    "(default: $CHUNKATTN_DB, else the local .hypothesis directory)",
    env="CHUNKATTN_DB",
    pytest_flags=("--chunkattn-db",),
)
SELECT = Option(("-k",), "select", "only checks whose name matches (glob or substring)")


def precisions(text: str) -> tuple[Any, ...]:
    """``--precision``: names (comma-separated) or ``all``, as precisions."""
    from chunkattn._internal.engine.precision import parse_precisions

    try:
        return parse_precisions(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def device(text: str) -> str:
    """``--device``: ``cpu``, ``cuda``, ``cuda:N`` or ``mps``."""
    from chunkattn._internal.engine.precision import parse_device

    try:
        return parse_device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


PRECISION = Option(
    ("--precision",),
    "precision",
    "what the model.* and stream.* checks run the model in, each once per precision: "
    "32-true, bf16-mixed, 16-mixed, bf16-true, 16-true, comma-separated, or all "
    "(= 32-true,bf16-mixed,16-mixed); default: the precision the model target declares, "
    "else 32-true",
    type=precisions,
    env="CHUNKATTN_PRECISION",
    pytest_flags=("--chunkattn-precision",),
    extra=(("metavar", "P[,P...]"),),
)
DEVICE = Option(
    ("--device",),
    "device",
    "where the model checks run the model: cpu, cuda, cuda:N or mps (default: the device of "
    "the model's module parameters, else cpu)",
    type=device,
    env="CHUNKATTN_DEVICE",
    pytest_flags=("--chunkattn-device",),
)

#: the plugin's options, in the order ``pytest --help`` lists them
PLUGIN_OPTIONS = (IMPL, MODEL, SEEDS, RECORD_SEEDS, PROFILE, TIMEOUT, DB, PRECISION, DEVICE)
