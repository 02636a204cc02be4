"""Model invariants (SPEC section 5).

The black-box ones take any callable ``f(x, lengths) -> y`` (``x``: ``(B, frames, features)``,
``lengths``: ``(B,)`` frames, ``y``: ``(B, patches, ...)``) plus its :class:`TokenGeometry`, so a
user can run them on their own model::

    from chunkattn.testing.model_checks import TokenGeometry, check_receptive_field
    check_receptive_field(lambda x, l: my_model(x, l), TokenGeometry(4, 10, depth=5,
                          samples_per_patch=4), features=256)

The registered ``model.*`` checks run them (and three white-box ones) on :class:`TransformerModel`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from ..config import ChunkConfig, ChunkedAttentionSettings, ModelSettings
from ..model import BACKENDS, TransformerModel
from ..sampler import ChunkConfigSampler
from .registry import Case, CheckContext, CheckFailure, register

__all__ = [
    "TokenGeometry",
    "check_batch_invariance",
    "check_chunk_causality",
    "check_finite",
    "check_padding_invariance",
    "check_receptive_field",
]

ModelFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: an output is "unchanged" within this. Masked keys get exactly zero weight, so independence is
#: exact (0.0); the large perturbations make real dependence >= ~5e-6 even through depth 3.
UNCHANGED_ATOL = 1e-7
EQUAL_ATOL = 1e-5


@dataclass(frozen=True)
class TokenGeometry:
    """How a model's tokens map to chunks: ``chunk_size`` patches per chunk, ``context_chunks``
    left chunks per layer, ``depth`` layers, ``samples_per_patch`` frames per patch."""

    chunk_size: int
    context_chunks: int | None
    depth: int
    samples_per_patch: int = 1

    @property
    def frames_per_chunk(self) -> int:
        return self.chunk_size * self.samples_per_patch

    def expected_dependence(self, out_chunk: int, in_chunk: int) -> bool:
        """Output chunk ``c`` depends on input chunk ``j`` iff ``c - depth*L <= j <= c``."""
        if in_chunk > out_chunk:
            return False
        return (
            self.context_chunks is None or in_chunk >= out_chunk - self.depth * self.context_chunks
        )


def _fail(message: str) -> None:
    raise CheckFailure(message)


def _chunk_changes(y: torch.Tensor, y2: torch.Tensor, chunk_size: int) -> list[float]:
    """Largest absolute change per output chunk (first row)."""
    diff = (y - y2).abs()[0].amax(-1)
    return [float(diff[i : i + chunk_size].max()) for i in range(0, diff.shape[0], chunk_size)]


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@torch.no_grad()
def check_chunk_causality(
    f: ModelFn, geometry: TokenGeometry, features: int, chunks: int = 6, seed: int = 0
) -> None:
    """Changing input in later chunks never changes earlier outputs (any depth)."""
    g = _generator(seed)
    frames = chunks * geometry.frames_per_chunk
    x = torch.randn(1, frames, features, generator=g)
    lengths = torch.tensor([frames])
    y = f(x, lengths)
    for cut in range(1, chunks):
        x2 = x.clone()
        x2[:, cut * geometry.frames_per_chunk :] += 5 * torch.randn(
            x2[:, cut * geometry.frames_per_chunk :].shape, generator=g
        )
        changes = _chunk_changes(y, f(x2, lengths), geometry.chunk_size)
        for c in range(cut):
            if changes[c] > UNCHANGED_ATOL:
                _fail(
                    f"output chunk {c} changed by {changes[c]:.3g} when only input chunks >= {cut} changed"
                )


@torch.no_grad()
def check_receptive_field(
    f: ModelFn, geometry: TokenGeometry, features: int, chunks: int | None = None, seed: int = 0
) -> None:
    """Output chunk ``c`` depends on input chunk ``j`` iff ``c - depth*L <= j <= c`` (tight)."""
    g = _generator(seed)
    if chunks is None:
        span = geometry.depth * (
            geometry.context_chunks if geometry.context_chunks is not None else 1
        )
        chunks = min(span + 3, 12)
    frames = chunks * geometry.frames_per_chunk
    x = torch.randn(1, frames, features, generator=g)
    lengths = torch.tensor([frames])
    y = f(x, lengths)
    for j in range(chunks):
        x2 = x.clone()
        rows = slice(j * geometry.frames_per_chunk, (j + 1) * geometry.frames_per_chunk)
        x2[:, rows] += 5 * torch.randn(x2[:, rows].shape, generator=g)
        changes = _chunk_changes(y, f(x2, lengths), geometry.chunk_size)
        for c, change in enumerate(changes):
            depends, expected = change > UNCHANGED_ATOL, geometry.expected_dependence(c, j)
            if depends != expected:
                what = "depends" if depends else "does not depend"
                _fail(
                    f"output chunk {c} {what} on input chunk {j} (change {change:.3g}); expected "
                    f"dependence iff c - depth*L <= j <= c with depth={geometry.depth}, "
                    f"L={geometry.context_chunks}"
                )


@torch.no_grad()
def check_padding_invariance(
    f: ModelFn, geometry: TokenGeometry, features: int, lengths: list[int], seed: int = 0
) -> None:
    """A row's valid outputs are the same alone and in a padded batch (garbage in the padding)."""
    g = _generator(seed)
    frames = max(lengths)
    x = torch.randn(len(lengths), frames, features, generator=g)
    for row, length in enumerate(lengths):
        x[row, length:] = 1e3 * torch.randn(x[row, length:].shape, generator=g)  # garbage
    batch = f(x, torch.tensor(lengths))
    for row, length in enumerate(lengths):
        if length == 0:
            continue
        alone = f(x[row : row + 1, :length], torch.tensor([length]))[0]
        valid = -(-length // geometry.samples_per_patch)
        diff = float((batch[row, :valid] - alone[:valid]).abs().max())
        if diff > EQUAL_ATOL:
            _fail(
                f"row {row} (length {length} of {frames} frames) differs by {diff:.3g} alone vs in the batch"
            )


@torch.no_grad()
def check_batch_invariance(
    f: ModelFn, features: int, rows: int, frames: int, seed: int = 0
) -> None:
    """A row's outputs do not depend on the other rows of the batch or their order."""
    g = _generator(seed)
    x = torch.randn(rows, frames, features, generator=g)
    lengths = torch.full((rows,), frames)
    y = f(x, lengths)
    order = torch.randperm(rows, generator=g)
    shuffled = f(x[order], lengths)
    single = f(x[:1], lengths[:1])
    diff = max(float((y[order] - shuffled).abs().max()), float((y[:1] - single).abs().max()))
    if diff > EQUAL_ATOL:
        _fail(f"outputs change by {diff:.3g} with the batch's composition or order")


@torch.no_grad()
def check_finite(f: ModelFn, features: int, lengths: list[int], seed: int = 0) -> None:
    """No NaN or inf anywhere in the output, padded and fully masked rows included."""
    g = _generator(seed)
    x = torch.randn(len(lengths), max(max(lengths), 1), features, generator=g)
    y = f(x, torch.tensor(lengths))
    if not torch.isfinite(y).all():
        bad = (~torch.isfinite(y)).nonzero()[0].tolist()
        _fail(f"non-finite output at (row, patch, class) {bad} for lengths {lengths}")


# --------------------------------------------------------------------------- on TransformerModel


@st.composite
def model_cases(draw, max_depth: int = 3) -> Case:
    """Small models over the corners: depth, chunk size, context (0 and None), patching."""
    return {
        "depth": draw(st.integers(1, max_depth)),
        "chunk_size": draw(st.integers(1, 4)),
        "context_chunks": draw(st.one_of(st.none(), st.integers(0, 2))),
        "samples_per_patch": draw(st.integers(1, 3)),
        "features": draw(st.integers(3, 6)),
        "n_heads": draw(st.integers(1, 2)),
        "seed": draw(st.integers(0, 2**16)),
        "lengths": draw(st.lists(st.integers(0, 30), min_size=1, max_size=4)),
    }


def build_model(
    case: Case, backend: str = "eager", *, dropout: float = 0.0, **chunked
) -> TransformerModel:
    """A tiny :class:`TransformerModel` for a model case (eval config = the case's geometry)."""
    settings = ModelSettings(
        features_list=(case["features"],),
        samples_per_patch=case["samples_per_patch"],
        depth=case["depth"],
        n_heads=case["n_heads"],
        dim_head=8,
        mlp_dim_ratio=2,
        nClasses=5,
        dropout=dropout,
        input_dropout=dropout,
    )
    chunk_settings = ChunkedAttentionSettings(
        chunk_size_min=1,
        chunk_size_max=6,
        context_sec_min=0.0,
        context_sec_max=1.0,
        timestep_duration_sec=0.08,
        **chunked,
    )
    model = TransformerModel(settings, chunk_settings, attention_backend=backend, seed=case["seed"])
    model.eval_chunk_config = ChunkConfig(case["chunk_size"], case["context_chunks"])
    return model.eval()


def _geometry(case: Case) -> TokenGeometry:
    return TokenGeometry(
        case["chunk_size"], case["context_chunks"], case["depth"], case["samples_per_patch"]
    )


@register("model.chunk_causality", lambda ctx: model_cases(), needs="own", example_share=0.5)
def model_chunk_causality(ctx: CheckContext, case: Case) -> None:
    """Changing input in later chunks never changes earlier outputs, any depth, every backend."""
    for backend in ("eager", "window"):
        check_chunk_causality(
            build_model(case, backend), _geometry(case), case["features"], seed=case["seed"]
        )


@register("model.receptive_field", lambda ctx: model_cases(), needs="own", example_share=0.5)
def model_receptive_field(ctx: CheckContext, case: Case) -> None:
    """Output chunk c depends on input chunk j iff c - depth*L <= j <= c (tight)."""
    check_receptive_field(build_model(case), _geometry(case), case["features"], seed=case["seed"])


@register("model.padding_invariance", lambda ctx: model_cases(), needs="own", example_share=0.5)
def model_padding_invariance(ctx: CheckContext, case: Case) -> None:
    """A row's valid outputs are the same alone and in a padded batch (<= 1e-5)."""
    lengths = [max(1, n) for n in case["lengths"]] + [31]
    for backend in ("eager", "window"):
        check_padding_invariance(
            build_model(case, backend), _geometry(case), case["features"], lengths, case["seed"]
        )


@register("model.batch_invariance", lambda ctx: model_cases(), needs="own", example_share=0.25)
def model_batch_invariance(ctx: CheckContext, case: Case) -> None:
    """A row's outputs do not depend on the rest of the batch or its order."""
    check_batch_invariance(
        build_model(case),
        case["features"],
        rows=len(case["lengths"]) + 1,
        frames=20,
        seed=case["seed"],
    )


@register("model.finite", lambda ctx: model_cases(), needs="own", example_share=0.5)
def model_finite(ctx: CheckContext, case: Case) -> None:
    """No NaN/inf for any config and backend, fully masked (zero-length, padded) rows included."""
    for backend in BACKENDS:
        check_finite(
            build_model(case, backend), case["features"], case["lengths"] + [0], case["seed"]
        )


@register("model.backends_agree", lambda ctx: model_cases(), needs="own", example_share=0.5)
def model_backends_agree(ctx: CheckContext, case: Case) -> None:
    """eager == sdpa == window == flex within 1e-5 (fp32), padding and all."""
    g = _generator(case["seed"])
    lengths = torch.tensor(case["lengths"])
    x = torch.randn(len(case["lengths"]), max(case["lengths"] + [1]), case["features"], generator=g)
    model = build_model(case)
    with torch.no_grad():
        reference = model(x, lengths)
        for backend in BACKENDS[1:]:
            model.attention_backend = backend
            diff = float((model(x, lengths) - reference).abs().max())
            if diff > EQUAL_ATOL:
                _fail(f"backend {backend} differs from eager by {diff:.3g}")


@register("model.train_eval", lambda ctx: model_cases(), needs="own", example_share=0.25)
def model_train_eval(ctx: CheckContext, case: Case) -> None:
    """Train samples from the seeded sampler, eval uses the eval config; last_chunk_config is the
    config actually used."""
    model = build_model(case, chunkwise_prob=0.7, left_constrain_prob=0.6)
    expected = ChunkConfigSampler.from_settings(model.chunked, seed=case["seed"])
    g = _generator(case["seed"])
    x = torch.randn(2, 12, case["features"], generator=g)
    lengths = torch.tensor([12, 7])
    model.train()
    for step in range(6):
        with torch.no_grad():
            out = model(x, lengths)
        want = expected.sample()
        if model.last_chunk_config != want:
            _fail(
                f"training step {step} used {model.last_chunk_config}, the seeded sampler says {want}"
            )
        model.eval()
        with torch.no_grad():
            replay = model(x, lengths, chunk_config=model.last_chunk_config)
        model.train()
        if not torch.allclose(out, replay, atol=EQUAL_ATOL, rtol=0):
            _fail(f"step {step}: output does not match a forward with the recorded {want}")
    model.eval()
    for _ in range(2):
        with torch.no_grad():
            model(x, lengths)
        if model.last_chunk_config != model.eval_chunk_config:
            _fail(
                f"eval used {model.last_chunk_config}, not the eval config {model.eval_chunk_config}"
            )


def gradient_report(
    model: TransformerModel, frames: int = 0, seed: int = 0
) -> dict[str, float | None]:
    """Gradient norm of every parameter after one CTC backward through every participant and day
    with full context (so every relative-position bucket is used); None = no gradient."""
    s = model.settings
    g = _generator(seed)
    frames = frames or (2 * 128 + 8) * s.samples_per_patch
    model.train()
    model.zero_grad(set_to_none=True)
    total = 0.0
    days = range(s.nDays) if s.nDays else [None]
    for participant, features in enumerate(s.features_list):
        for day in days:
            x = torch.randn(2, frames, features, generator=g)
            lengths = torch.tensor([frames, frames // 2])
            day_idx = None if day is None else torch.full((2,), day)
            logits = model(x, lengths, participant, day_idx, chunk_config=ChunkConfig(None, None))
            log_probs = logits.log_softmax(-1).transpose(0, 1)
            targets = torch.randint(1, s.nClasses, (2, 5), generator=g)
            loss = F.ctc_loss(
                log_probs, targets, model.output_lengths(lengths), torch.tensor([5, 5])
            )
            total = total + loss
    total.backward()
    return {
        name: (None if p.grad is None else float(p.grad.norm()))
        for name, p in model.named_parameters()
    }


@register("model.grad_flow", lambda ctx: model_cases(max_depth=2), needs="own", example_share=0.1)
def model_grad_flow(ctx: CheckContext, case: Case) -> None:
    """Every parameter gets a finite, non-zero gradient."""
    model = build_model({**case, "samples_per_patch": 1}, dropout=0.1)
    for name, norm in gradient_report(model, seed=case["seed"]).items():
        if norm is None or not norm > 0 or norm != norm or norm == float("inf"):
            _fail(f"parameter {name} has gradient norm {norm}")
