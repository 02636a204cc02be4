"""Seeded bug: the convolution cache is concatenated with every chunk's inputs and never cut
back to ``K - 1``: the depthwise convolution only reads its last ``K - 1`` entries, so every
output is exact, and the stream's memory grows with the stream's length (the unbounded
streaming history of espnet/espnet#5729 and HumanMLLM/ViSpeak#11, in the convolution cache).
The attention cache is trimmed correctly."""

from types import SimpleNamespace

import _conformer

EXPECTED_FAILURE = "stream.bounded_state"


class Stream(_conformer.Stream):
    def conv_keep(self):
        return self.state[0]["conv"].shape[1]  # "the convolution only reads what it needs"

    def trim(self, i):
        keep = self.state[i]["conv"]
        super().trim(i)
        self.state[i]["conv"] = keep


class Encoder(_conformer.Encoder):
    stream_class = Stream


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(kernel=3, context_chunks=(1, 1), modules=("attn", "conv", "ff"))
    return _conformer.target(Encoder(config, seed=seed))
