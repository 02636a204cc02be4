"""Seeded bug: with an absolute sinusoidal position encoding, the stream embeds each chunk with
positions from 0 again (it reuses the forward's ``embed(tokens)`` default): every chunk after the
first gets the wrong positions. The forward is correct."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "stream.equivalence"


class Stream(_common.Stream):
    def embed(self, tokens):
        return self.model.embed(tokens)


class Encoder(_common.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed, position="absolute"))
