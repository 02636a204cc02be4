"""Seeded bug: the declared reach comes from the config's ``cnn_module_kernel`` while the
convolution module is switched off (WeNet's and ESPnet's ``use_cnn_module: false`` next to a
leftover ``cnn_module_kernel: 15``), so ``left_reach = K - 1`` is declared and no layer reaches
past its attention window. An overclaimed reach is as wrong as an underclaimed one: latency
and memory budgets (how much left context a stream must keep) are computed from it. The
dependence stops ``ceil((K-1)/C)`` chunks a layer short of the declared one."""

from types import SimpleNamespace

import _conformer

EXPECTED_FAILURE = "model.receptive_field"


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(kernel=3, context_chunks=(1, 1), modules=("attn", "ff"))
    return _conformer.target(_conformer.Encoder(config, seed=seed), left_reach=config.kernel - 1)
