"""Seeded bug: the stream rounds the front end's right context up to a whole look-ahead chunk:
it emits chunk ``c`` only once chunk ``c + 1`` is complete, as block-processing encoders do
with a look-ahead block (ESPnet's streaming conformer "needs to fill the entire initial block
with (downsampled) input frames before it can actually compute any encoder output",
espnet/espnet#5729). Every output is exact, and the stream passes ``stream.equivalence``; but
after ``k`` chunks and the 3 right-context frames it has emitted ``k - 1`` chunks, not ``k``:
the latency is a chunk more than the model needs and declares."""

from types import SimpleNamespace

import _conformer

EXPECTED_FAILURE = "stream.latency"


class Stream(_conformer.Stream):
    def frames_needed(self):
        c = self.model.config
        ahead = -(-c.lookahead_frames // self.chunk_frames())
        return (1 + ahead) * self.chunk_frames()


class Encoder(_conformer.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(
        samples_per_patch=4, frontend="conv2x", lookahead_frames=3, modules=("attn", "conv", "ff")
    )
    return _conformer.target(Encoder(config, seed=seed))
