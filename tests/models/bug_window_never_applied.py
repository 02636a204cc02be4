"""Seeded bug: a sliding window that never reaches the attention. The config says a window of
4 tokens (``C = 1``, ``L = 3``) in each of 4 layers, and the layers attend their whole causal
history: the Mistral-style bug of a window dropped on the way to SDPA (unsloth PR #8253), which
the forward, the stream and every short input agree on. Only an input longer than the stack's
receptive field (``4 * 3 = 12`` tokens back) shows it, so the check must reach past it however
deep the stack."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "model.receptive_field"


class Encoder(_common.Encoder):
    def left_chunks(self):
        return None  # the window is in the config, not in the mask


def make_model(seed: int = 0) -> SimpleNamespace:
    model = Encoder(seed=seed, samples_per_patch=1, depth=4, chunk_size=1, context_chunks=3)
    return _common.target(model, with_stream=False)
