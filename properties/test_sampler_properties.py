"""Property suite: the `sampler.*` checks of SPEC section 4 (defined in chunkattn.testing)."""

from chunkattn.testing.pytest_support import property_test

test_sampler_ranges = property_test("sampler.ranges")
test_sampler_reachable = property_test("sampler.reachable")
test_sampler_probabilities = property_test("sampler.probabilities")
test_sampler_determinism = property_test("sampler.determinism")
test_sampler_rejects_bad_input = property_test("sampler.rejects_bad_input")
