"""Property suite: the `mask.*` checks of SPEC section 4 (defined in chunkattn.testing)."""

from chunkattn.testing.pytest_support import property_test

test_mask_shape_dtype = property_test("mask.shape_dtype")
test_mask_causality = property_test("mask.causality")
test_mask_own_chunk = property_test("mask.own_chunk")
test_mask_left_span = property_test("mask.left_span")
test_mask_unlimited = property_test("mask.unlimited")
test_mask_monotone = property_test("mask.monotone")
test_mask_matches_reference = property_test("mask.matches_reference")
test_mask_rejects_bad_input = property_test("mask.rejects_bad_input")
test_mask_caller_owns = property_test("mask.caller_owns")
