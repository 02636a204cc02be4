"""Every registered named check (docs/contract.md: the named checks) as a collected test, generated from the registry:
a new check is a new test with no line here. Checks that do not apply to the target are skipped
with the reason."""

from chunkattn.testing.pytest_support import property_tests

globals().update(property_tests())
