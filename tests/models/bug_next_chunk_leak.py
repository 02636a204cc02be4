"""Seeded bug: each chunk also sees the next chunk: the upper bound is ``(qc + 2) * C`` (an
exclusive end written as if inclusive, plus one). A leak like this cannot stream (the next chunk
has not arrived yet), so this model offers no stream. The tight receptive field (``j <= c``)
necessarily breaks with it: any dependence on a later chunk is outside ``c - depth*L <= j <= c``."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "model.chunk_causality"
ALSO_BREAKS = ("model.receptive_field",)  # unavoidable, see above


class Encoder(_common.Encoder):
    def visible(self, q_pos, k_pos):
        end = (q_pos[:, None] // self.chunk_size + 2) * self.chunk_size
        ok = k_pos[None, :] < end
        left = self.left_chunks()
        if left is not None:
            ok = ok & (
                k_pos[None, :] // self.chunk_size >= q_pos[:, None] // self.chunk_size - left
            )
        return ok


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed), with_stream=False)
