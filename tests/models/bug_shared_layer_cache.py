"""Seeded bug: the per-layer caches are built as ``[{...}] * depth``: one dict shared by every
layer, so each layer reads the keys and values the layer before it just wrote (the wrong layer's
tensors). The cache stays trimmed, so the state is still bounded."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "stream.equivalence"


class Stream(_common.Stream):
    def new_cache(self):
        return [{"k": None, "v": None}] * self.model.depth


class Encoder(_common.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
