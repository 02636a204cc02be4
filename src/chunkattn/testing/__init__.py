"""The verification suite as a library: targets, strategies, named checks, and a runner.

One definition per invariant lives here; ``properties/`` (pytest), ``chunkattn verify`` and the
pre-commit hook all run these same checks, so they cannot disagree::

    from chunkattn.testing import CHECKS, CheckContext, load_target, run_check
"""

# each check module registers its checks; the order here is the order of reports
from . import (  # noqa: F401
    ceil_checks,
    config_checks,
    mask_checks,
    model_checks,
    own_model_checks,
    sampler_checks,
    stream_checks,
    train_checks,
)
from .model_target import ModelTarget
from .profiles import PROFILES, active_profile_name, profile_settings
from .registry import CHECKS, Check, CheckContext, CheckFailure
from .runner import CheckResult, run_check
from .target import Target, TargetError, builtin_targets, load_target

_FAMILIES = ("mask", "ceil", "sampler", "config", "model", "stream")
_ordered = sorted(CHECKS.items(), key=lambda item: _FAMILIES.index(item[0].split(".")[0]))
CHECKS.clear()
CHECKS.update(_ordered)  # reports list families in the order of the dataflow

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
