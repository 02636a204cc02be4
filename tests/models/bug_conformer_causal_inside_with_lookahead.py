"""Seeded bug: attention causal inside the chunk (``k <= q``, kept from a causal decoder) behind a
subsampling front end with right context (WeNet's ``Conv2dSubsampling4``: 4 frames a token, 3
frames of lookahead), declared as the full within-chunk lookahead the config promises. Each token
still reads a little past its own patch through the front end, so only the frames that the
chunk's last token reads and its first does not tell the two apart: a model causal inside its
chunks is not what ``chunk_size`` promises. No tracker issue found for this combination; the
front end's right context is discussed in wenet-e2e/wenet#1040."""

from types import SimpleNamespace

import _conformer
import torch
from correct_conformer_subsampling import config

EXPECTED_FAILURE = "model.lookahead"


class Encoder(_conformer.Encoder):
    def visible(self, i: int, q_pos: torch.Tensor, k_pos: torch.Tensor) -> torch.Tensor:
        return super().visible(i, q_pos, k_pos) & (k_pos[None, :] <= q_pos[:, None])


def make_model(seed: int = 0) -> SimpleNamespace:
    return _conformer.target(Encoder(config(0), seed=seed))
