"""A correct conformer whose blocks put the causal depthwise convolution before attention,
behind the causal front end of ``correct_conformer_causal_frontend``. The front end's look back
and the first convolution's reach then merge before any attention aligns them to a chunk, so
the stack may reach one chunk less far left than ``sum(L_i + ceil(left_reach/C)) +
ceil(lookbehind_frames/(C*S))``: the one cell of the promise the declaration leaves open
(``ModelTarget.allows``), which must not be a false alarm."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import _conformer
from correct_conformer_causal_frontend import config


def make_model(seed: int = 0) -> SimpleNamespace:
    conv_first = dataclasses.replace(config(seed), modules=("conv", "attn", "ff"))
    return _conformer.target(_conformer.Encoder(conv_first, seed=seed))
