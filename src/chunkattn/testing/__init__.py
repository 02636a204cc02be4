"""The verification suite as a library: targets, strategies, named checks, and a runner.

One definition per invariant lives here; ``properties/`` (pytest), ``chunkattn verify`` and the
pre-commit hook all run these same checks, so they cannot disagree::

    from chunkattn.testing import CHECKS, CheckContext, load_target, run_check
"""

from . import config_checks, model_checks, seed_api, stream_checks  # noqa: F401  (registers)
from .profiles import PROFILES, active_profile_name
from .registry import CHECKS, Check, CheckContext, CheckFailure
from .runner import CheckResult, run_check
from .target import Target, TargetError, builtin_targets, load_target

__all__ = [
    "CHECKS",
    "PROFILES",
    "Check",
    "CheckContext",
    "CheckFailure",
    "CheckResult",
    "Target",
    "TargetError",
    "active_profile_name",
    "builtin_targets",
    "load_target",
    "run_check",
]
