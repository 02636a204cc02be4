"""Property suite: the `model.*` checks of SPEC section 4 (defined in chunkattn.testing)."""

from chunkattn.testing.pytest_support import property_test

test_model_chunk_causality = property_test("model.chunk_causality")
test_model_receptive_field = property_test("model.receptive_field")
test_model_padding_invariance = property_test("model.padding_invariance")
test_model_batch_invariance = property_test("model.batch_invariance")
test_model_finite = property_test("model.finite")
test_model_backends_agree = property_test("model.backends_agree")
test_model_train_eval = property_test("model.train_eval")
test_model_grad_flow = property_test("model.grad_flow")
