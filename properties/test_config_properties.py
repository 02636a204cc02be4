"""Property suite: the `config.*` checks of SPEC section 4 (defined in chunkattn.testing)."""

from chunkattn.testing.pytest_support import property_test

test_config_loads = property_test("config.loads")
test_config_eval = property_test("config.eval")
test_config_defaults = property_test("config.defaults")
test_config_errors = property_test("config.errors")
test_config_sampler_matches = property_test("config.sampler_matches")
