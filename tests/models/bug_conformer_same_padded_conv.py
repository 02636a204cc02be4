"""Seeded bug: the depthwise convolution is padded "same" (``(K-1)//2`` zeros on each side)
instead of causally: the non-causal conformer convolution a streaming model keeps when it is
trained without the causal flag. In WeNet it is ``ConvolutionModule(causal=False)`` (``lorder =
0``, symmetric padding); its Efficient Conformer streamed badly for exactly this reason until
the maintainers answered "``causal: true`` needs to be specified" (wenet-e2e/wenet#1690). The
last token of a chunk reads the first token of the next one, so output chunk ``c`` changes when
only chunk ``c+1`` changes; the stream (no look-ahead in its cache) cannot follow either."""

from types import SimpleNamespace

import _conformer
import torch.nn.functional as F

EXPECTED_FAILURE = "model.chunk_causality"
ALSO_BREAKS = ("model.receptive_field", "stream.equivalence")


class Encoder(_conformer.Encoder):
    def depthwise(self, p, u, cache):
        # lorder = 0: no cache, symmetric padding inside whatever it is given
        y = F.conv1d(
            u.transpose(1, 2), *p["dw"], padding=(self.config.kernel - 1) // 2, groups=u.shape[2]
        )
        return y.transpose(1, 2)


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(kernel=3, context_chunks=(1, 1), modules=("attn", "conv", "ff"))
    return _conformer.target(Encoder(config, seed=seed))
