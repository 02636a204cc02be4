"""Seeded bug: a causal subsampling front end (NeMo's ``causal_downsampling``) whose look back
is not declared: the model reads ``lookbehind_frames`` frames before each token's patch, and
claims ``lookbehind_frames=0``. Its receptive field reaches one chunk further left than it says,
which a stream that trims its frame buffer to the claim would lose. No tracker issue found; the
front end imitates the ``causal_downsampling`` option of NeMo's conformer encoder."""

from types import SimpleNamespace

import _conformer
from correct_conformer_causal_frontend import config

EXPECTED_FAILURE = "model.receptive_field"


def make_model(seed: int = 0) -> SimpleNamespace:
    model = _conformer.Encoder(config(seed), seed=seed)
    return _conformer.target(model, lookbehind_frames=0)
