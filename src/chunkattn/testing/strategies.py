"""Hypothesis strategies that reach the corners of chunked attention, for a user's own tests
(public: it only re-exports :mod:`chunkattn._internal.engine.strategies`)."""

from chunkattn._internal.engine.strategies import *  # noqa: F403
from chunkattn._internal.engine.strategies import __all__  # noqa: F401
