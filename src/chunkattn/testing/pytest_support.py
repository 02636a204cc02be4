"""Named checks as pytest tests, for a user's own test file (public: it only re-exports
:mod:`chunkattn._internal.integrations.pytest_support`)::

    from chunkattn.testing.pytest_support import property_test

    test_left_span = property_test("mask.left_span")   # runs on --impl, or on chunkattn
"""

from chunkattn._internal.integrations.pytest_support import property_test, property_tests

__all__ = ["property_test", "property_tests"]
