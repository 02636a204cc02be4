"""Seeded bug: the stream emits a chunk as soon as the chunk's own frames are in, and pads the
subsampling front end's right context with zeros instead of waiting for it: the feeder computes
the frames a chunk needs as ``chunk_size * subsampling_rate`` and forgets the ``right_context``
that WeNet's runtime adds (``(chunk_size - 1) * subsampling_rate + right_context + 1`` for the
first chunk; wenet-e2e/wenet#1040, #205), the "RIGHT_CONTEXT: the number of future frames
attached after the chunk" a NeMo feeder must supply (altunenes/parakeet-rs#78). The model is
right and declares its look-ahead; the streamed tokens at each chunk's end read zeros where
the forward reads the next chunk's first frames."""

from types import SimpleNamespace

import _conformer

EXPECTED_FAILURE = "stream.equivalence"


class Stream(_conformer.Stream):
    def frames_needed(self):
        return self.chunk_frames()

    def step(self, n):
        own = n * self.model.config.samples_per_patch
        rest, self.frames = self.frames[own:], self.frames[:own]  # the chunk's frames, no more
        out = super().step(n)
        self.frames = rest
        return out


class Encoder(_conformer.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(
        samples_per_patch=4, frontend="conv2x", lookahead_frames=3, modules=("attn", "conv", "ff")
    )
    return _conformer.target(Encoder(config, seed=seed))
