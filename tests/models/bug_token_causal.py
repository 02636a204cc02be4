"""Seeded bug: token-causal inside the chunk: the chunk mask is and-ed with a causal ``k <= q``
mask (kept from the full-context model), so a token never sees the later tokens of its own chunk:
the lookahead the config promises is gone. Forward and stream agree (absolute positions)."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "model.lookahead"


class Encoder(_common.Encoder):
    def visible(self, q_pos, k_pos):
        return super().visible(q_pos, k_pos) & (k_pos[None, :] <= q_pos[:, None])


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
