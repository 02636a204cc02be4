"""Seeded bug: the valid patch count is ``length // samples_per_patch`` (floor), so a partly filled
last patch is never attended as a key. Alone and in a batch agree (both floor), but the stream
treats that patch as the real token it is: only streaming exposes it."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "stream.equivalence"


class Encoder(_common.Encoder):
    def valid_patches(self, lengths):
        return lengths // self.samples_per_patch


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
