"""The model adapters build the libraries' real models and hold them to the geometry their
configs claim (docs/contract.md: What a model declares it reaches, measured with chunkattn's own check functions); what chunkattn found in them is still reported
(README, "What chunkattn found in the field"), so a fix upstream shows up as a change; and a
model entry of the survey gives the verdict ``chunkattn verify --model`` gives."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from chunkattn import adapters
from chunkattn._internal.commands import cli
from chunkattn._internal.commands.survey import run_survey, survey_adapter
from chunkattn._internal.engine.seeds import add_seed
from chunkattn._internal.engine.target import import_target_module

HERE = Path(__file__).parent / "model_adapters"
geometry = import_target_module(str(HERE / "geometry.py"))

#: adapters that must measure exactly as they claim (one per library and layer geometry; the
#: survey runs them all): chunk dependence, within-chunk causality and the stream
CORRECT = (
    "model_hf_decoders:mistral_eager",
    "model_hf_decoders:qwen2_mixed_sdpa",
    "model_hf_decoders:gemma3_eager",
    "model_hf_decoders:llama4_sdpa",
    "model_local_attention:attention",
    "model_local_attention:attention_causal",
    "model_local_attention:attention_causal_exact",
    "model_local_attention:transformer_dynamic_pos_bias",
    "model_x_transformers:decoder",
    "model_hf_speech:seamless_m4t_v2_sdpa",
)


def _factory(name: str):
    if not adapters.available(name):
        pytest.skip(f"{adapters.load(name).LIBRARY} is not installed")
    return getattr(adapters.load(name), name.rpartition(":")[2])


def _first_stream_gap(model: SimpleNamespace, frames: int = 12) -> tuple[int | None, float]:
    """The first token where the library's cache, fed one piece, differs from the forward."""
    x = torch.randn(frames, model.features, generator=torch.Generator().manual_seed(0))
    stream = model.stream()
    streamed = torch.cat([stream.feed(x), stream.flush()])
    full = model.forward(x[None], torch.tensor([frames]))[0]
    gap = (streamed - full).abs().reshape(frames, -1).amax(-1)
    bad = (gap > 1e-5).nonzero()
    return (int(bad[0]) if len(bad) else None), float(gap.max())


def test_every_model_adapter_states_its_library_variant_and_mapping():
    assert len(adapters.MODEL_ADAPTERS) >= 6
    for name in adapters.MODEL_ADAPTERS:
        module = adapters.load(name)
        assert adapters.kind(name) == "model" and module.KIND == "model", name
        assert module.__doc__ and "Mapping" in module.__doc__, name
        variant, mapping = module.FACTORIES[name.rpartition(":")[2]]
        assert module.LIBRARY and variant and mapping, name
        assert callable(getattr(module, name.rpartition(":")[2])), name


@pytest.mark.parametrize("name", CORRECT)
def test_model_is_what_its_config_claims(name: str):
    model = _factory(name)(seed=0)
    assert geometry.check(model, trials=2, max_frames=16) == []


@pytest.mark.parametrize(
    "name", ["model_hf_decoders:gemma3_eager", "model_local_attention:attention_causal"]
)
def test_a_wrong_claim_is_caught(name: str):
    """The measurement has teeth: a global layer claimed as a window, or one more left chunk
    claimed, or the wrong within-chunk variant, is reported (so a pass is evidence)."""
    model = _factory(name)(seed=0)
    left = model.context_chunks
    wrong = [0 if c is None else c for c in left] if isinstance(left, list) else left + 1
    assert geometry.dependency_problems(SimpleNamespace(**{**vars(model), "context_chunks": wrong}))
    if model.chunk_size > 1:
        other = "full" if model.within_chunk == "causal" else "causal"
        assert geometry.within_chunk_problems(
            SimpleNamespace(**{**vars(model), "within_chunk": other})
        )


def test_decoder_caches_are_bounded_by_the_window():
    """transformers keeps W - 1 tokens per sliding layer and everything for a full one."""
    model = _factory("model_hf_decoders:qwen2_mixed_eager")(seed=0)  # [None, 2]: W = 3
    stream = model.stream()
    stream.feed(torch.randn(10, model.features, generator=torch.Generator().manual_seed(1)))
    assert stream.state_size() == 10 + 2


# ------------------------------------------------------------------ findings (README)


def test_local_transformer_cache_rotates_cached_keys_again():
    """local-attention 1.11.2: LocalMHA's cached path applies the rotary embedding to the
    cached keys and caches the rotated keys, so every later step rotates them again: cached
    decoding leaves the forward at the third token (position 0's rotation is the identity).
    The same model with its dynamic position bias (no rotary) streams exactly."""
    first, gap = _first_stream_gap(_factory("model_local_attention:transformer")(seed=0))
    assert first == 2 and gap > 1e-3


def test_local_transformer_windowed_cache_drops_a_window_at_its_last_token():
    """local-attention 1.11.2, exact_windowsize=False: the cached path keeps
    ``w*b + (cached length % w)`` keys, one window short at a window's last token (position
    ``p`` with ``p % w == w - 1``). Seen without the rotary bug (dynamic position bias): the
    first wrong token is 5 for ``w = 3``."""
    from chunkattn.adapters import model_local_attention as la

    model = la._transformer_target(0, exact=False, dynamic_pos_bias=True)
    assert model.chunk_size == 3
    first, _ = _first_stream_gap(model)
    assert first == 5
    assert _first_stream_gap(_factory("model_local_attention:transformer_windowed")(seed=0))[0]


def test_seamless_m4t_v2_eager_adds_its_bool_mask():
    """transformers 5.24.0, SeamlessM4T v2 speech encoder under ``eager``: the chunk mask is a
    4-D bool tensor, ``create_bidirectional_mask`` returns a prepared 4-D mask as it is, and
    ``eager_attention_forward`` adds it to the scores (+1 visible, +0 hidden): nothing is
    masked, so the first chunk reads later chunks and padding. ``sdpa`` (the same model) is
    exact (``test_model_is_what_its_config_claims``)."""
    from chunkattn._internal.checks.model import check_padding_invariance
    from chunkattn._internal.engine.model_target import as_model_target
    from chunkattn._internal.engine.registry import CheckFailure

    model = _factory("model_hf_speech:seamless_m4t_v2_eager")(seed=0)
    assert (model.chunk_size, model.context_chunks, model.left_reach) == (2, 1, 2)
    problems = geometry.dependency_problems(model)
    assert any(p.startswith("output chunk 0 depends on input chunk 1 ") for p in problems)
    with pytest.raises(CheckFailure, match="padding leaks"):
        check_padding_invariance(as_model_target(model), [3, 8], pad=2, seed=0)


@pytest.mark.parametrize("impl", ["eager", "sdpa"])
def test_phi4_audio_adds_its_bool_streaming_mask_to_the_bias(impl: str, monkeypatch):
    """transformers 5.24.0, Phi-4-multimodal's audio encoder: ``attention_mask =
    hs_mask.unsqueeze(1) + relative_attention_bias`` adds the bool streaming mask to the float
    bias (+1 visible, +0 hidden), so no key is hidden under either implementation: the first
    chunk reads the future. Made additive (0 / -inf), the same model reads no later chunk,
    which pins the cause."""
    name = f"model_hf_speech:phi4_multimodal_audio_{impl}"
    model = _factory(name)(seed=0)
    problems = geometry.dependency_problems(model)
    assert any(p.startswith("output chunk 0 depends on input chunk 1 ") for p in problems)

    from transformers.models.phi4_multimodal import modeling_phi4_multimodal as phi4

    embeddings = phi4.Phi4MultimodalAudioModel.forward_embeddings

    def additive(self, hidden_states, masks):
        hidden_states, hs_mask, masks = embeddings(self, hidden_states, masks)
        return hidden_states, torch.where(hs_mask, 0.0, float("-inf")), masks

    monkeypatch.setattr(phi4.Phi4MultimodalAudioModel, "forward_embeddings", additive)
    # with the mask made additive the model is exactly what it declares, its front end's look
    # back of 7 frames included
    assert geometry.dependency_problems(model) == []


# ------------------------------------------------------------------ survey and verify


def test_survey_model_entry_has_the_verdict_of_verify(capsys):
    """A failing entry goes through the same run_checks on the same target; its shrinking costs
    seconds in both runs, so the suite shows a passing one (``chunkattn survey`` shows all)."""
    name, select, ok = "model_hf_decoders:mistral_sdpa", "stream.", True
    _factory(name)
    entry = survey_adapter(name, profile="precommit", select=select)
    assert entry["kind"] == "model" and entry["target"] == f"chunkattn.adapters.{name}"
    status = cli.main(
        [
            "verify",
            "--model",
            entry["target"],
            "--profile",
            "precommit",
            "-k",
            select,
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is entry["ok"] is ok and status == (0 if ok else 1)
    ran = {c["name"]: c["status"] for c in entry["checks"] if c["status"] != "skip"}
    assert ran == {c["name"]: c["status"] for c in report["checks"] if c["status"] != "skip"}
    assert set(ran) == {"stream.equivalence", "stream.latency", "stream.bounded_state"}


def test_a_compiled_target_has_its_eager_twins_verdict_with_its_compile_time_apart(
    tmp_path, capsys
):
    """Replayed on one case (a padded batch with an empty row), a model whose forward is
    ``torch.compile``d fails ``model.padding_invariance`` as its eager twin does (the seeded
    bug without key padding, ``tests/models``), and verify's JSON gives the seconds torch spent
    compiling apart, as part of the check's seconds (none for the eager twin)."""
    seeds = tmp_path / "seeds.yaml"
    add_seed(
        seeds, "model.padding_invariance", {"seed": 0, "noise": 0, "lengths": [3, 0, 1], "pad": 2}
    )
    verdicts, compiling = {}, {}
    for twin in ("compiled", "eager"):
        argv = ["verify", "--model", f"{HERE / 'compiled.py'}:no_key_padding_{twin}"]
        argv += ["--profile", "seeds"]
        status = cli.main(
            [*argv, "--seeds", str(seeds), "-k", "model.padding_invariance", "--json"]
        )
        (check,) = [
            c for c in json.loads(capsys.readouterr().out)["checks"] if c["status"] != "skip"
        ]
        verdicts[twin] = (status, check["status"], check["counterexample"])
        compiling[twin] = (check["compile_seconds"], check["seconds"])
    assert verdicts["compiled"] == verdicts["eager"]
    assert verdicts["eager"][:2] == (1, "fail")
    assert 0 < compiling["compiled"][0] <= compiling["compiled"][1]
    assert compiling["eager"][0] == 0.0


def test_flex_batches_padded_to_the_bucket_give_the_same_outputs():
    """The flex decoders pad every batch to one compiled shape (``bucketed``): on the same
    model (un-compiled here, sdpa), the padded batch's outputs at the rows' valid tokens are the
    unpadded ones, empty rows and rows of one token included."""
    name = "model_hf_decoders:llama4_chunked_sdpa"
    _factory(name)
    decoders = adapters.load(name)
    model = decoders.build("llama4_chunked", "sdpa", seed=3)
    padded = decoders.bucketed(model.forward)
    g = torch.Generator().manual_seed(0)
    for lengths in ([1], [0, 1], [5, 0, 2], [40, 17, 1, 0, 9], [260, 3]):
        x = torch.randn(len(lengths), max(lengths), decoders.HIDDEN, generator=g)
        lengths = torch.tensor(lengths)
        want, got = model.forward(x, lengths), padded(x, lengths)
        assert got.shape == want.shape
        valid = torch.arange(x.shape[1])[None, :] < lengths[:, None]
        assert torch.allclose(got[valid], want[valid], atol=1e-5), lengths.tolist()


def test_survey_in_two_workers_gives_the_entries_of_one(capsys):
    """``survey --workers 2`` surveys each entry whole in a worker process and returns the
    entries in the survey's order: the same JSON as one process gives, but for the times."""
    names = [
        "model_local_attention:attention_causal",
        f"{HERE / 'missing_library.py'}:make_model",
        "model_local_attention:attention",
        "model_hf_decoders:mistral_sdpa",
    ]
    for name in names[::2]:
        _factory(name)
    runs = []
    for workers in (1, 2):
        status = run_survey(
            True, "precommit", adapters=names, select="model.finite", workers=workers
        )
        runs.append((status, _timeless(json.loads(capsys.readouterr().out))))
    assert runs[0] == runs[1] and [e["adapter"] for e in runs[1][1]] == names
    assert runs[1][0] == 0 and [e["ok"] for e in runs[1][1]] == [True, None, True, True]


def _timeless(entries: list[dict]) -> list[dict]:
    """Survey entries without their checks' wall and compile times."""
    drop = ("seconds", "compile_seconds")
    return [
        {**e, "checks": [{k: v for k, v in c.items() if k not in drop} for c in e["checks"]]}
        for e in entries
    ]


def test_survey_skips_a_model_whose_library_is_missing():
    entry = survey_adapter(f"{HERE / 'missing_library.py'}:make_model")
    assert entry["kind"] == "model" and entry["ok"] is None and entry["installed"] is False
    assert "not-installed-anywhere is not installed" in entry["skipped"]


def test_survey_kind_selects_model_adapters(capsys):
    """``--kind model`` leaves the mask adapters out; each entry says its kind."""
    missing = f"{HERE / 'missing_library.py'}:make_model"
    status = run_survey(True, "precommit", adapters=["hf_chunked", missing], kind="model")
    entries = json.loads(capsys.readouterr().out)
    assert status == 0 and [(e["adapter"], e["kind"]) for e in entries] == [(missing, "model")]
    assert cli.main(["survey", "--kind", "models"]) == 2
    assert cli.main(["survey", "-k", "no.such.check"]) == 2
