"""chunkattn's Hypothesis profiles: ``dev`` (default), ``ci``, ``precommit``, ``thorough``, ``seeds``.

``ci`` is derandomized with no example database, so every run of the same code tests the same
examples; it is chosen automatically when the ``CI`` environment variable is set.

Under ``pytest -n auto`` the ``dev`` and ``thorough`` profiles share Hypothesis's default
directory database between workers. That is safe: each entry is a content-addressed file written
to a temporary name and renamed into place, and failed reads or writes are ignored (the database
is a cache, never a source of truth — regression seeds are). ``ci``, ``precommit`` and ``seeds``
use no database at all.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

from chunkattn._internal.engine.profile_names import active_profile_name

__all__ = ["PHASES", "PROFILES", "active_profile_name", "profile_settings"]

#: every phase but ``explain``: after shrinking a failure, Hypothesis's explain phase reruns the
#: property on variations of the shrunk case to annotate its own report with the parts that do
#: not matter (``# or any other generated value``). chunkattn reports the shrunk case and the
#: check's message, not those annotations, and the phase cost up to 1.6 s a failing check (a
#: model forward per variation): in verify, the survey, the hook's failing run and the suite.
#: A pytest run through the plugin shows Hypothesis's report without them.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
    phases=PHASES,
)

PROFILES = {
    "dev": dict(max_examples=60),
    "ci": dict(max_examples=20, derandomize=True, database=None),
    "precommit": dict(max_examples=12, derandomize=True, database=None),
    "thorough": dict(max_examples=2000),
    # replay explicit examples (regression seeds) only: no random exploration
    "seeds": dict(max_examples=1, phases=[Phase.explicit], database=None),
}


def profile_settings(name: str) -> settings:
    """The Hypothesis settings of chunkattn's profile ``name``, on Hypothesis's own defaults.

    Nothing is registered or loaded globally, so a test suite's own Hypothesis profiles (a
    ``ci`` of its own, say) are never touched; chunkattn's tests apply these explicitly.
    """
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return settings(settings.get_profile("default"), **{**_COMMON, **PROFILES[name]})
