"""This repository runs the installed suite: the tests of ``chunkattn.properties``, one per named
check, on chunkattn itself (or on ``--impl`` / ``--model``)."""

from chunkattn.properties.test_checks import *  # noqa: F403
