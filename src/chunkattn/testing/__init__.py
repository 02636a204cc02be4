"""The public face of the verification suite (it only re-exports; the working code is in
:mod:`chunkattn._internal`). The suite as a library: targets, strategies, named checks, and a runner.

One definition per invariant lives here; ``properties/`` (pytest), ``chunkattn verify`` and the
pre-commit hook all run these same checks, so they cannot disagree::

    from chunkattn.testing import CHECKS, CheckContext, load_target, run_check
"""

from chunkattn._internal.checks import CHECKS
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
    "builtin_targets",
    "load_target",
    "profile_settings",
    "run_check",
]
