"""Property suite: the `ceil.*` checks of SPEC section 4 (defined in chunkattn.testing)."""

from chunkattn.testing.pytest_support import property_test

test_ceil_exact = property_test("ceil.exact")
test_ceil_coverage = property_test("ceil.coverage")
