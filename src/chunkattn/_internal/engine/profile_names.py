"""The profiles' names and which one a run uses, with the standard library only.

Kept apart from :mod:`chunkattn._internal.engine.profiles` (which builds Hypothesis settings, so
imports Hypothesis) so that ``chunkattn verify --cache`` can decide whether a run may be
skipped before anything heavy is imported.
"""

from __future__ import annotations

import os

__all__ = ["PROFILE_NAMES", "REPEATABLE", "active_profile_name"]

#: every profile, in the order the help lists them (the keys of ``profiles.PROFILES``)
PROFILE_NAMES = ("dev", "ci", "precommit", "thorough", "seeds")

#: the profiles whose rerun tests exactly the same examples: derandomized (or replaying explicit
#: examples only) and without an example database, so the same code gives the same verdict
REPEATABLE = ("ci", "precommit", "seeds")


def active_profile_name(explicit: str | None = None) -> str:
    """``explicit``, else ``CHUNKATTN_PROFILE``, else ``ci`` when ``CI`` is set, else ``dev``."""
    name = (
        explicit or os.environ.get("CHUNKATTN_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
    )
    if name not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILE_NAMES)}")
    return name
