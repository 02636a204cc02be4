"""Seeded bug: the stream's cache keeps ``(L - 1) * C`` tokens: the author counted the current
chunk as one of the ``L`` it must keep. With ``L = 1`` each streamed chunk sees only itself, while
the forward sees one left chunk."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "stream.equivalence"


class Stream(_common.Stream):
    def keep(self):
        left = self.model.left_chunks()
        return None if left is None else (left - 1) * self.model.chunk_size


class Encoder(_common.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
