"""Seeded bug: no key padding: the attention mask is the chunk mask alone, so a row's last chunk
also attends the padded tokens after its end (zeroed, but their keys carry biases). A classic:
``key_padding_mask`` forgotten because the model was first run on equal-length batches."""

from types import SimpleNamespace

import _common

EXPECTED_FAILURE = "model.padding_invariance"


class Encoder(_common.Encoder):
    def attention_mask(self, pos, valid):
        return self.visible(pos, pos)[None, None].expand(valid.shape[0], 1, -1, -1)


def make_model(seed: int = 0) -> SimpleNamespace:
    return _common.target(Encoder(seed=seed))
