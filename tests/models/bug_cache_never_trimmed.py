"""Seeded bug: the stream never trims its cache. The chunk mask, built on absolute positions,
keeps the old keys invisible, so every output is still exact; only the memory grows with the
stream's length."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "stream.bounded_state"


class Stream(_common.Stream):
    def trim(self, t):
        return t  # "the mask hides them anyway"


class Encoder(_common.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
