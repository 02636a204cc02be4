"""Seeded bug: the left context is one chunk wider than claimed: ``context_chunks + 1`` because
the author counted the current chunk into the window, which ``kc <= qc`` already includes. Mask and
stream cache agree on the wider window, so streaming stays exact; only the reach is wrong."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "model.receptive_field"


class Encoder(_common.Encoder):
    def left_chunks(self):
        return None if self.context_chunks is None else self.context_chunks + 1  # "+ own chunk"


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
