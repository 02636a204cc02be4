"""White-box checks of chunkattn's own model (docs/contract.md: chunkattn's own model): every attention backend computes
the same function, and training samples its configs while eval uses the fixed one. They need
chunkattn's model code (capability ``own``); the black-box ``model.*`` checks that run on any
model are in :mod:`chunkattn._internal.checks.model`, and its gradients are checked by the
training-health checks (:mod:`chunkattn._internal.checks.train`) as any model's are.
"""

from __future__ import annotations

import torch

from chunkattn._internal.checks.model import EQUAL_ATOL, noise_generator
from chunkattn._internal.engine.own_model import MODEL_CASES, build_model
from chunkattn._internal.engine.registry import Case, CheckContext, fail, register
from chunkattn._internal.engine.target import Capability
from chunkattn._internal.impl.model import BACKENDS
from chunkattn._internal.impl.sampler import ChunkConfigSampler

__all__: list[str] = []


@register("model.backends_agree", MODEL_CASES, needs=Capability.OWN, example_share=0.15)
def model_backends_agree(ctx: CheckContext, case: Case) -> None:
    """Every registered attention backend of chunkattn's model computes what eager does (<= 1e-5 fp32).

    ## What it asserts
    chunkattn's own `TransformerModel` offers several attention backends (`eager` masked softmax,
    `sdpa`, `window`, and `flex` where FlexAttention is available; every entry of
    `chunkattn.model.BACKENDS`, so a backend added there is checked with no change to the check).
    For tiny random models (depth 1 to 3, `C` 1 to 4, `L` 0 to 2 or unlimited, 1 to 3 frames a
    patch, 1 or 2 heads) and batches of 1 to 4 rows of 0 to 30 frames, padding included, every
    backend's output must be within 1e-5 (absolute, fp32; a reduced precision: 32 of its eps absolute and relative) of the eager backend's. chunkattn itself
    only (capability `own`).

    ## Why it matters
    The backend is a performance choice: the same weights must compute the same function whichever
    kernel runs them, or a model trained with `sdpa` and evaluated with `window` is another model.
    Backends differ exactly where bugs hide: how each applies the key-padding mask, what it does
    with a query that sees no key, how a window kernel cuts the partial last chunk.

    ## Example failure
    ```
    FAIL  model.backends_agree  5 examples  counterexample: {'depth': 1, 'chunk_size': 2,
      'context_chunks': 0, 'samples_per_patch': 1, 'features': 3, 'n_heads': 1, 'seed': 0,
      'lengths': [3]}  backend window differs from eager by 0.412
    ```
    (Illustrative: a window kernel that drops the partial last chunk.)

    ## Catches
    No catalogue module: it guards chunkattn's own backends. It exists for a new or changed kernel
    that applies padding, empty rows or the partial last chunk differently from eager.

    ## How to fix
    Run the counterexample's model with each backend and compare layer by layer; the eager masked
    softmax is the reference. Make the new kernel take the same bool mask (chunk mask and key
    padding combined) and the same guard for queries without a visible key.
    """
    g = noise_generator(case["seed"])
    lengths = torch.tensor(case["lengths"])
    x = torch.randn(len(case["lengths"]), max(case["lengths"] + [1]), case["features"], generator=g)
    precision, device = ctx.precision, ctx.target.device or "cpu"
    model = build_model(case)
    if precision.cast:
        model.to(device=device, dtype=precision.dtype)
    else:
        model.to(device)
    x, lengths = precision.inputs(x, device), lengths.to(device)
    tolerance = precision.tolerance
    with torch.no_grad(), precision.autocast(device):
        reference = model(x, lengths).float()
        for backend in sorted(set(BACKENDS) - {"eager"}):
            model.attention_backend = backend
            out = model(x, lengths).float()
            diff = float((out - reference).abs().max()) if out.numel() else 0.0
            bound = (
                tolerance.atol
                if not precision.reduced
                else tolerance.bound(float(reference.abs().max()) if reference.numel() else 0.0)
            )
            if not diff <= bound:
                note = f" (tolerance {tolerance.text})" if precision.reduced else ""
                fail(f"backend {backend} differs from eager by {diff:.3g}{note}")


@register("model.train_eval", MODEL_CASES, needs=Capability.OWN, example_share=0.25)
def model_train_eval(ctx: CheckContext, case: Case) -> None:
    """Training draws each step's config from the seeded sampler; eval uses the eval config; both recorded.

    ## What it asserts
    For a tiny chunkattn `TransformerModel` with `chunkwise_prob = 0.7` and
    `left_constrain_prob = 0.6`: over six forward passes in training mode, the config each pass used
    (`model.last_chunk_config`) equals the next draw of a `ChunkConfigSampler` built from the same
    settings and seed, and the training output equals an eval-mode forward with that recorded config
    passed explicitly (`chunk_config=...`); in eval mode every forward uses
    `model.eval_chunk_config` and records it. chunkattn itself only (capability `own`).

    ## Why it matters
    Dynamic chunk training only works if every step uses the geometry the sampler drew, and only
    reproduces if the sampler is the seeded one. A model that samples in eval mode evaluates a
    random geometry; one that draws from another generator trains on a mixture nobody configured;
    a `last_chunk_config` that records something else than what the step used makes every log and
    every reproduction of a failing step wrong.

    ## Example failure
    ```
    FAIL  model.train_eval  5 examples  counterexample: {..., 'seed': 0, ...}  eval used
      ChunkConfig(chunk_size=3, context_chunks=None), not the eval config
      ChunkConfig(chunk_size=2, context_chunks=1)
    ```
    (Illustrative: a model that keeps sampling after `model.eval()`.)

    ## Catches
    No catalogue module: it guards chunkattn's own model. It exists for a model that samples in eval
    mode, draws from a generator other than its seeded sampler, or records the wrong config.

    ## How to fix
    Branch on `self.training`, draw from the model's own seeded sampler, and record what the pass
    used:

    ```python
    config = self.sampler.sample() if self.training else self.eval_chunk_config
    self.last_chunk_config = config
    ```
    """
    model = build_model(case, chunkwise_prob=0.7, left_constrain_prob=0.6)
    expected = ChunkConfigSampler.from_settings(model.chunked, seed=case["seed"])
    g = noise_generator(case["seed"])
    x = torch.randn(2, 12, case["features"], generator=g)
    lengths = torch.tensor([12, 7])
    model.train()
    for step in range(6):
        with torch.no_grad():
            out = model(x, lengths)
        want = expected.sample()
        if model.last_chunk_config != want:
            fail(
                f"training step {step} used {model.last_chunk_config}, the seeded sampler says {want}"
            )
        model.eval()
        with torch.no_grad():
            replay = model(x, lengths, chunk_config=model.last_chunk_config)
        model.train()
        if not torch.allclose(out, replay, atol=EQUAL_ATOL, rtol=0):
            fail(f"step {step}: output does not match a forward with the recorded {want}")
    model.eval()
    for _ in range(2):
        with torch.no_grad():
            model(x, lengths)
        if model.last_chunk_config != model.eval_chunk_config:
            fail(
                f"eval used {model.last_chunk_config}, not the eval config {model.eval_chunk_config}"
            )
