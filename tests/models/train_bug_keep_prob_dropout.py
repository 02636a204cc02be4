"""Training bug: a keep probability passed as a drop probability. The TensorFlow original says
``dropout_keep_prob=0.9``; ported to PyTorch, where ``p`` is the probability of *zeroing*, it
becomes dropout 0.9. Every forward check passes (eval mode has no dropout), every parameter gets
a finite, nonzero gradient, and the model cannot even fit one batch.

hassony2/kinetics_i3d_pytorch#6 ("Dropout: opposite meaning?": ``dropout_keep_prob=1`` given as
``p``), piergiaj/pytorch-i3d#58 ("Wrong assigning of dropout probability"),
candle-org/MindAct#387 ("use p instead of keep_prob for nn.Dropout")."""

from types import SimpleNamespace

import _trainable

EXPECTED_FAILURE = "model.overfits"

DROPOUT_KEEP_PROB = 0.9


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(_trainable.Encoder(seed=seed, dropout=DROPOUT_KEEP_PROB))
