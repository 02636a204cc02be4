"""The public face of the verification suite (it only re-exports; the working code is in
:mod:`chunkattn._internal`). The suite as a library: targets, strategies, named checks, and a runner.

One definition per invariant lives here; ``properties/`` (pytest), ``chunkattn verify`` and the
pre-commit hook all run these same checks, so they cannot disagree::

    from chunkattn.testing import CHECKS, CheckContext, load_target, run_check
"""

from chunkattn._internal.checks import CHECKS
from chunkattn._internal.checks.model import (
    check_batch_invariance,
    check_chunk_causality,
    check_finite,
    check_lookahead,
    check_padding_invariance,
    check_receptive_field,
    dependency_matrix,
)
from chunkattn._internal.checks.stream import (
    check_bounded_state,
    check_stream_equivalence,
    check_stream_latency,
)
from chunkattn._internal.checks.train import (
    check_grad_finite,
    check_grad_flow,
    check_overfits,
    gradient_report,
)
from chunkattn._internal.engine.model_target import ModelTarget
from chunkattn._internal.engine.profiles import PROFILES, active_profile_name, profile_settings
from chunkattn._internal.engine.registry import Check, CheckContext, CheckFailure
from chunkattn._internal.engine.results import CheckResult
from chunkattn._internal.engine.runner import run_check
from chunkattn._internal.engine.target import Target, TargetError, builtin_targets, load_target

__all__ = [
    "CHECKS",
    "PROFILES",
    "Check",
    "CheckContext",
    "CheckFailure",
    "CheckResult",
    "ModelTarget",
    "Target",
    "TargetError",
    "active_profile_name",
    "check_batch_invariance",
    "check_bounded_state",
    "check_chunk_causality",
    "check_finite",
    "check_grad_finite",
    "check_grad_flow",
    "check_lookahead",
    "check_overfits",
    "check_padding_invariance",
    "check_receptive_field",
    "check_stream_equivalence",
    "check_stream_latency",
    "dependency_matrix",
    "gradient_report",
    "builtin_targets",
    "load_target",
    "profile_settings",
    "run_check",
]
