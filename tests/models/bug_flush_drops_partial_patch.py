"""Seeded bug: ``flush`` runs the pending frames as ``n // samples_per_patch`` whole patches, so a
final partly filled patch is dropped, where the forward zero-pads it into one more token."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "stream.equivalence"


class Stream(_common.Stream):
    def flush(self):
        whole = self.pending.shape[0] // self.model.samples_per_patch * self.model.samples_per_patch
        out = self.step(self.pending[:whole]) if whole else self.empty()
        self.pending = self.pending[:0]
        return out


class Encoder(_common.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
