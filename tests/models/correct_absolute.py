"""A correct model with an absolute sinusoidal position encoding added at the patch embedding;
its stream tracks the absolute token position across feeds. Three frames a patch, depth 3, one head."""

from types import SimpleNamespace

import _common


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(
        _common.Encoder(
            seed=seed,
            features=3,
            samples_per_patch=3,
            width=8,
            heads=1,
            depth=3,
            chunk_size=2,
            context_chunks=1,
            n_out=4,
            position="absolute",
        )
    )
