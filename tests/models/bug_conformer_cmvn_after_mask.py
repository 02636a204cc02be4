"""Seeded bug: the padded frames are zeroed before the global CMVN instead of after it, so the
padding a batch carries becomes ``-mean / std``, and the subsampling front end, whose
convolutions read three frames past each patch, feeds it into the last valid tokens of every
shorter row. WeNet's encoder applied ``global_cmvn`` to the padded batch right before
``self.embed`` (wenet-e2e/wenet#2806: "Here CMVN is applied to padded frames. Since the
embedding module contains convolution with right context, padded positions (after CMVN) will
leak into valid frames"; the same was noted in review of wenet-e2e/wenet#75 for SpecAugment's
zeroed features; ESPnet's ``utterance_mvn`` left ``-mean`` in the padding, espnet/espnet#6571).
A row alone, a full batch or the stream is exact: only a padded batch differs."""

from types import SimpleNamespace

import _conformer
import torch

EXPECTED_FAILURE = "model.padding_invariance"


class Encoder(_conformer.Encoder):
    def normalize(self, x, lengths):
        frame = torch.arange(x.shape[1])
        x = x.masked_fill((frame[None, :] >= lengths[:, None])[..., None], 0.0)
        mean, std = self.cmvn
        return (x - mean) / std


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(
        samples_per_patch=4, frontend="conv2x", lookahead_frames=3, modules=("attn", "conv", "ff")
    )
    return _conformer.target(Encoder(config, seed=seed))
