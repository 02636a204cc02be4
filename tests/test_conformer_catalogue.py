"""The conformer catalogue (tests/models/*_conformer_*.py) is what it says it is, measured with
plain torch and no chunkattn code: each correct conformer's stream equals its own forward for
any split, emits each chunk as soon as its frames and declared look-ahead are in, keeps a
bounded state when every layer is windowed, and depends on exactly the input chunks its
declaration (docs/contract.md: What a model declares it reaches: ``left_reach``, ``lookahead_frames``, per-layer ``context_chunks``)
allows. These are the ground truths the ``model.*`` and ``stream.*`` checks are judged against;
every bug module names the check that must catch it and says where in the field it comes from."""

from __future__ import annotations

import importlib
import math
import random
import re
import sys
from pathlib import Path

import pytest
import torch

MODELS = Path(__file__).parent / "models"
CORRECT = sorted(p.stem for p in MODELS.glob("correct_conformer_*.py"))
BUGS = sorted(MODELS.glob("bug_conformer_*.py"))
SEEDS = (0, 1, 2)
UNCHANGED = 1e-7


@pytest.fixture(scope="module", autouse=True)
def _models_on_path():
    sys.path.insert(0, str(MODELS))
    yield
    sys.path.remove(str(MODELS))


def _target(name: str, seed: int):
    return importlib.import_module(name).make_model(seed)


def _noise(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _forward(t, x: torch.Tensor) -> torch.Tensor:
    return t.forward(x, torch.full((x.shape[0],), x.shape[1]))


def _expected(t, c: int, j: int) -> bool:
    """docs/contract.md: What a model declares it reaches: ``c - sum(L_i + ceil(reach / C)) <= j <= c + ceil(R / (C * S))``, and a causal
    front end's look back ``B`` once more: ``- ceil(B / (C * S))`` on the left."""
    size, frames = t.chunk_size, t.chunk_size * t.samples_per_patch
    if j > c + math.ceil(t.lookahead_frames / frames):
        return False
    if None in t.context_chunks:
        return True
    behind = math.ceil(getattr(t, "lookbehind_frames", 0) / frames)
    return j >= c - behind - sum(left + math.ceil(t.left_reach / size) for left in t.context_chunks)


def _left_edge_open(t, c: int, j: int) -> bool:
    """The formula's left-edge cell, when a look back and a reach are both declared: they merge
    before the first attention when the convolution comes first, one chunk short."""
    behind = getattr(t, "lookbehind_frames", 0)
    if not (behind and t.left_reach) or None in t.context_chunks:
        return False
    size, frames = t.chunk_size, t.chunk_size * t.samples_per_patch
    span = math.ceil(behind / frames) + sum(
        left + math.ceil(t.left_reach / size) for left in t.context_chunks
    )
    return j == c - span


def _changes(t, x: torch.Tensor, frames: slice, seed: int) -> list[float]:
    """Per output chunk, the largest change when ``frames`` are perturbed (two strengths)."""
    y = _forward(t, x)
    worst = torch.zeros(y.shape[1])
    for k, scale in enumerate((5.0, 50.0)):
        x2 = x.clone()
        x2[:, frames] += scale * torch.randn(x2[:, frames].shape, generator=_noise(seed + k))
        worst = torch.maximum(worst, (_forward(t, x2) - y).abs()[0].flatten(1).amax(-1))
    return [float(worst[i : i + t.chunk_size].max()) for i in range(0, len(worst), t.chunk_size)]


def _streamed(t, x: torch.Tensor, cuts: list[int]) -> tuple[torch.Tensor, list[int]]:
    """Outputs of feeding ``x`` cut at ``cuts`` then flushing, and the count after each feed."""
    stream, bounds, outs, counts = t.stream(), [0, *sorted(cuts), x.shape[0]], [], []
    for start, end in zip(bounds, bounds[1:], strict=False):
        outs.append(stream.feed(x[start:end]))
        counts.append(sum(o.shape[0] for o in outs))
    outs.append(stream.flush())
    return torch.cat(outs), counts


@pytest.mark.parametrize("name", CORRECT)
def test_declaration_is_complete_and_consistent(name: str):
    for seed in SEEDS:
        t = _target(name, seed)
        assert isinstance(t.context_chunks, list) and len(t.context_chunks) == t.depth
        assert all(left is None or left >= 0 for left in t.context_chunks)
        assert t.left_reach >= 0 and t.lookahead_frames >= 0 and t.timestep_sec > 0
        assert not hasattr(t, "within_chunk") or t.within_chunk == "full"


@pytest.mark.parametrize("name", CORRECT)
def test_stream_equals_forward_for_any_split(name: str):
    rng = random.Random(name)
    for seed in SEEDS:
        t = _target(name, seed)
        for trial in range(4):
            frames = rng.randint(1, 7 * t.chunk_size * t.samples_per_patch + 5)
            x = torch.randn(frames, t.features, generator=_noise(trial))
            cuts = [rng.randint(0, frames) for _ in range(rng.randint(0, 6))]
            got, _ = _streamed(t, x, cuts)
            want = _forward(t, x[None])[0]
            assert got.shape == want.shape, (seed, frames, cuts)
            torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5, msg=f"{seed} {cuts}")


@pytest.mark.parametrize("name", CORRECT)
def test_dependence_is_exactly_the_declared_one(name: str):
    for seed in SEEDS[:2]:
        t = _target(name, seed)
        frames, chunks = t.chunk_size * t.samples_per_patch, 9
        x = torch.randn(1, chunks * frames, t.features, generator=_noise(seed))
        for j in range(chunks):
            changes = _changes(t, x, slice(j * frames, (j + 1) * frames), seed + j)
            measured = [change > UNCHANGED for change in changes]
            expected = [_expected(t, c, j) for c in range(chunks)]
            for c in range(chunks):
                if _left_edge_open(t, c, j):
                    expected[c] = measured[c]
            assert measured == expected, (seed, j, changes)


@pytest.mark.parametrize("name", CORRECT)
def test_lookahead_is_exact_to_the_frame(name: str):
    """Output chunk 0 reads frame ``C*S + R - 1`` and nothing after it."""
    t = _target(name, 0)
    last = t.chunk_size * t.samples_per_patch + t.lookahead_frames - 1
    x = torch.randn(1, last + 3 * t.samples_per_patch + 1, t.features, generator=_noise(3))
    assert _changes(t, x, slice(last, last + 1), 5)[0] > UNCHANGED
    assert _changes(t, x, slice(last + 1, None), 7)[0] <= UNCHANGED


@pytest.mark.parametrize("name", CORRECT)
def test_stream_emits_each_chunk_as_soon_as_declared(name: str):
    """After ``k`` chunks of frames plus ``lookahead_frames``, in any pieces: ``k*C`` tokens;
    one frame fewer: fewer (the stream cannot know the future)."""
    rng = random.Random(name)
    for seed in SEEDS:
        t = _target(name, seed)
        frames = t.chunk_size * t.samples_per_patch
        x = torch.randn(5 * frames + t.lookahead_frames, t.features, generator=_noise(seed))
        ready = [k * frames + t.lookahead_frames for k in range(1, 6)]
        cuts = sorted({*rng.sample(range(x.shape[0]), 4), *ready, *(r - 1 for r in ready)})
        _, counts = _streamed(t, x, cuts)
        emitted = dict(zip(cuts, counts, strict=False))
        for k, fed in enumerate(ready, start=1):
            assert emitted[fed] >= k * t.chunk_size, (seed, fed, emitted)
            assert emitted[fed - 1] < k * t.chunk_size, (seed, fed, emitted)


@pytest.mark.parametrize("name", CORRECT)
def test_state_is_bounded_when_every_layer_is_windowed(name: str):
    for seed in SEEDS:
        t = _target(name, seed)
        if None in t.context_chunks:
            continue
        frames = t.chunk_size * t.samples_per_patch
        n = sum(left + 1 + math.ceil(t.left_reach / t.chunk_size) for left in t.context_chunks)
        x = torch.randn(2 * n * frames, t.features, generator=_noise(seed))
        stream, sizes = t.stream(), []
        for half in (x[: n * frames], x[n * frames :]):
            for start in range(0, half.shape[0], 3):
                stream.feed(half[start : start + 3])
            sizes.append(stream.state_size())
        assert sizes[0] == sizes[1] > 0, (seed, sizes)


def test_a_global_layer_keeps_its_whole_history():
    t = _target("correct_conformer_mixed", 0)
    frames = t.chunk_size * t.samples_per_patch
    stream, sizes = t.stream(), []
    for _ in range(2):
        stream.feed(torch.randn(6 * frames, t.features, generator=_noise(1)))
        sizes.append(stream.state_size())
    assert sizes[1] - sizes[0] == 6 * t.chunk_size


@pytest.mark.parametrize("path", BUGS, ids=lambda p: p.stem)
def test_bug_names_its_check_and_its_source(path: Path):
    text = path.read_text()
    assert re.search(r'^EXPECTED_FAILURE = "(model|stream)\.[a-z_]+"$', text, re.M)
    doc = importlib.import_module(path.stem).__doc__
    cited = re.search(r"[\w-]+/[\w.-]+#\d+", doc) or "No tracker issue found" in doc
    assert doc.startswith("Seeded bug:") and cited, path.stem


def test_catalogue_is_large_enough():
    assert len(CORRECT) >= 4 and len(BUGS) >= 8
