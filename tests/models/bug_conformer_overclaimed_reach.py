"""Seeded bug: the declared reach is read off the config's ``cnn_module_kernel`` while the
convolution module is switched off (WeNet's and ESPnet's encoder configs carry both
``use_cnn_module`` and ``cnn_module_kernel``; with ``use_cnn_module: false`` the kernel is a
leftover), so ``left_reach = K - 1`` is declared and no layer reaches past its attention window.
No tracker issue found: it is the hand-computed receptive-field budget of a config, which
nothing checks against the built model. An overclaimed reach is as wrong as an underclaimed one:
a stream's memory and the left context it must keep are sized from it. The measured dependence
stops ``ceil((K-1)/C)`` chunks a layer short of the declared one."""

from types import SimpleNamespace

import _conformer

EXPECTED_FAILURE = "model.receptive_field"


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(kernel=3, context_chunks=(1, 1), modules=("attn", "ff"))
    return _conformer.target(_conformer.Encoder(config, seed=seed), left_reach=config.kernel - 1)
