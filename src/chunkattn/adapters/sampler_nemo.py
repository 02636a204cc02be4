"""NeMo's multi-lookahead training as a sampler: does it draw what it is configured to draw?

``ConformerEncoder(att_context_size=[[l0, r0], [l1, r1], ...], att_context_probs=[p0, p1, ...])``
picks one context per training forward (``forward_internal``: ``random.choices(
self.att_context_size_all, weights=self.att_context_probs)``, Python's global ``random``) and
builds that forward's masks with it; eval uses the first. The draw is read where NeMo uses it:
the ``att_context_size`` each forward hands to the encoder's own ``_create_masks`` (wrapped on
the instance to record its argument, then called as is). Nothing is re-implemented.

:func:`check_sampler` runs ``n`` training forwards with Python's ``random`` seeded (its state
saved and restored around the run) and compares each context's count with its probability:
the count must lie in the exact two-sided binomial interval of probability ``1 - alpha / k``
(``k`` contexts; union bound: false alarm below ``alpha = 1e-6`` for a correct sampler), and the
eval forward must use the first context. It also asks NeMo to accept distributions that sum to
one (``[0.7, 0.2, 0.1]``).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

from chunkattn.adapters._common import Library
from chunkattn.adapters._models import seeded

__all__ = ["binomial_interval", "check_sampler", "draws", "multi_lookahead_encoder"]

LIBRARY = "nemo"
_LIB = Library("nemo-toolkit", "nemo.collections.asr.modules.conformer_encoder")
available, version = _LIB.available, _LIB.version

#: the contexts and probabilities checked by default (chunked_limited: C = right + 1)
CONTEXTS = [[4, 1], [4, 0], [8, 3]]
PROBS = [0.5, 0.3, 0.2]
#: a distribution that sums to one in exact arithmetic, not in floating point
ONE_IN_EXACT_ARITHMETIC = [0.7, 0.2, 0.1]
ALPHA = 1e-6


def multi_lookahead_encoder(contexts: list[list[int]], probs: list[float], seed: int = 0) -> Any:
    from chunkattn.adapters.model_nemo import build_encoder, encoder_options

    options = encoder_options("chunked_limited_causal", seed)
    options |= {"att_context_size": contexts, "att_context_probs": probs, "n_layers": 1}
    return build_encoder(options, seed)


def draws(encoder: Any, n: int, seed: int = 0) -> tuple[Counter, tuple[int, ...] | None]:
    """The contexts of ``n`` training forwards (counted) and of one eval forward."""
    import torch

    used: list[tuple[int, ...]] = []
    original = encoder._create_masks

    def recording(att_context_size: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(tuple(att_context_size))
        return original(att_context_size, *args, **kwargs)

    x, lengths = torch.zeros(1, encoder._feat_in, 8), torch.tensor([8])
    state = random.getstate()
    encoder._create_masks = recording
    try:
        random.seed(seed)
        encoder.train()
        with torch.no_grad():
            for _ in range(n):
                encoder(audio_signal=x, length=lengths)
            encoder.eval()
            used_before = len(used)
            encoder(audio_signal=x, length=lengths)
    finally:
        random.setstate(state)
        del encoder._create_masks
        encoder.eval()
    return Counter(used[:used_before]), (used[used_before] if len(used) > used_before else None)


def _log_pmf(n: int, k: int, p: float) -> float:
    if p in (0.0, 1.0):
        return 0.0 if k == round(n * p) else -math.inf
    return (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )


def binomial_interval(n: int, p: float, alpha: float) -> tuple[int, int]:
    """``[lo, hi]`` with ``P(K < lo) <= alpha / 2`` and ``P(K > hi) <= alpha / 2`` for ``K ~
    Bin(n, p)`` (exact tails)."""
    pmf = [math.exp(_log_pmf(n, k, p)) for k in range(n + 1)]
    lo, tail = 0, 0.0
    while lo < n and tail + pmf[lo] <= alpha / 2:
        tail += pmf[lo]
        lo += 1
    hi, tail = n, 0.0
    while hi > 0 and tail + pmf[hi] <= alpha / 2:
        tail += pmf[hi]
        hi -= 1
    return lo, hi


def check_sampler(
    contexts: list[list[int]] | None = None,
    probs: list[float] | None = None,
    n: int = 400,
    seed: int = 0,
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """``{"draws": {"ok", "counts", "intervals", "eval"}, "accepts": {"ok", "probs", "error"}}``."""
    contexts = CONTEXTS if contexts is None else contexts
    probs = PROBS if probs is None else probs
    encoder = seeded(seed, lambda: multi_lookahead_encoder(contexts, probs, seed))
    counts, eval_context = draws(encoder, n, seed)
    intervals = {}
    problems = []
    for context, p in zip(contexts, probs, strict=True):
        lo, hi = binomial_interval(n, p, alpha / len(contexts))
        got = counts.get(tuple(context), 0)
        intervals[str(context)] = [lo, hi]
        if not lo <= got <= hi:
            problems.append(f"{context} drawn {got} times in {n}, outside [{lo}, {hi}] for p={p}")
    unknown = set(counts) - {tuple(c) for c in contexts}
    if unknown:
        problems.append(f"drew contexts never configured: {sorted(unknown)}")
    if eval_context != tuple(contexts[0]):
        problems.append(f"eval used {eval_context}, not the first context {contexts[0]}")
    result: dict[str, Any] = {
        "draws": {
            "ok": not problems,
            "n": n,
            "counts": {str(list(k)): v for k, v in sorted(counts.items())},
            "intervals": intervals,
            "eval": list(eval_context or ()),
            "problems": problems,
        }
    }
    exact = ONE_IN_EXACT_ARITHMETIC
    try:
        multi_lookahead_encoder(contexts, exact, seed)
        result["accepts"] = {"ok": True, "probs": exact, "error": None}
    except ValueError as exc:
        result["accepts"] = {"ok": False, "probs": exact, "error": str(exc)}
    return result


#: the reproduction script of the one finding (``att_context_probs`` refused): torch and NeMo only
REPRO_PROBS = '''#!/usr/bin/env python3
"""NeMo ConformerEncoder: att_context_probs that sum to one are refused (float equality).

Property: a distribution over the lookaheads whose probabilities sum to one, [0.7, 0.2, 0.1],
is accepted as att_context_probs (NeMo checks `sum(att_context_probs) != 1` exactly, and
0.7 + 0.2 + 0.1 is 0.9999999999999999 in floating point).

Found by chunkattn (chunkattn.adapters.sampler_nemo) on nemo-toolkit {version}.
Run with plain `python SCRIPT`: exit 1 while the finding holds, 0 once it is fixed.
Imports only torch and the library under test.
"""

import importlib.metadata
import logging
import sys

import torch
from nemo.collections.asr.modules.conformer_encoder import ConformerEncoder
from nemo.utils import logging as nemo_logging

nemo_logging.setLevel(logging.ERROR)
PROPERTY = "att_context_probs=[0.7, 0.2, 0.1] (a distribution: it sums to one) is accepted"


def check():
    torch.manual_seed(0)
    ConformerEncoder(
        feat_in=8, n_layers=1, d_model=16, n_heads=2, subsampling="dw_striding",
        subsampling_factor=4, subsampling_conv_channels=8, conv_kernel_size=3,
        att_context_style="chunked_limited", att_context_size=[[4, 1], [4, 0], [8, 3]],
        att_context_probs=[0.7, 0.2, 0.1], conv_context_size="causal",
        causal_downsampling=True,
    )


if __name__ == "__main__":
    print(f"found on nemo-toolkit {version}; running {{importlib.metadata.version('nemo-toolkit')}}")
    print("property:", PROPERTY)
    try:
        check()
    except ValueError as exc:
        print(f"FINDING HOLDS: ValueError: {{exc}}")
        sys.exit(1)
    print("the property holds: fixed")
    sys.exit(0)
'''
