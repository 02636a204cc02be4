"""Property suite: the `stream.*` checks of SPEC section 4 (defined in chunkattn.testing)."""

from chunkattn.testing.pytest_support import property_test

test_stream_equivalence = property_test("stream.equivalence")
test_stream_bounded_state = property_test("stream.bounded_state")
