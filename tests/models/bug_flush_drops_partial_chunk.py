"""Seeded bug: ``flush`` only runs whole chunks, like ``feed``, so the frames of a final partial
chunk are silently dropped and the stream emits fewer outputs than the forward."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "stream.equivalence"


class Stream(_common.Stream):
    def flush(self):
        return self.feed(self.pending[:0])


class Encoder(_common.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
