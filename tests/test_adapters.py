"""The adapters check the installed libraries' own code: correct ones pass, a deliberately wrong
wrapping of the same library fails with a counterexample, and what chunkattn found in the field
is still reported (a library that fixes it shows up here as a change to record)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hypothesis import Phase, settings

from chunkattn import adapters
from chunkattn._internal.commands import cli
from chunkattn._internal.commands.survey import run_survey, survey_adapter
from chunkattn._internal.contract.core import ChunkConfig
from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.contract.reference import reference_mask
from chunkattn._internal.engine.seeds import load_seeds
from chunkattn._internal.engine.target import WITHIN_CHUNK
from chunkattn.adapters import conventions
from chunkattn.testing import CHECKS, CheckContext, load_target, profile_settings, run_check

HERE = Path(__file__).parent / "adapters"
PHASES = (Phase.explicit, Phase.generate)  # a known failure need not be shrunk to be asserted

#: What chunkattn found in the field (README, "What chunkattn found in the field"): adapter ->
#: check -> a piece of the failure message. Each must still fail; if one passes, the library
#: changed: update this table and the README's.
FINDINGS = {
    "hf_sliding_window": {"mask.rejects_bad_input": "context_chunks=-1 returned a"},
    "hf_sliding_window_left_padded": {"mask.rejects_bad_input": "context_chunks=-1 returned a"},
    "hf_chunked": {"mask.rejects_bad_input": "ZeroDivisionError"},
    "hf_chunked_left_padded": {"mask.rejects_bad_input": "ZeroDivisionError"},
    "attn_gym_sliding_window": {"mask.rejects_bad_input": "context_chunks=-1 returned a"},
    "chunk_mask_lib": {  # num_left_chunks=-1, its default, hides every key
        "mask.left_span": "sees 0 keys",
        "mask.unlimited": "differs at query 0, key 0",
        "mask.matches_reference": "hidden in the mask, not in the reference",
        "mask.rejects_bad_input": "ZeroDivisionError",
    },
}

#: the contract checks each correct adapter must pass here (the survey runs them all; the
#: flex renderings cost ~10 ms a mask, so the suite keeps to the checks that judge the mask)
CONTRACT = ("mask.matches_reference", "mask.left_span")


def _run(target: str, names, seeds: bool = True):
    t = load_target(target)
    ctx = CheckContext(t, load_config())
    profile = settings(profile_settings("precommit"), phases=PHASES)
    stored = load_seeds() if seeds else {}
    return {n: run_check(CHECKS[n], ctx, profile, stored.get(n, [])) for n in names}


def _installed(name: str):
    if not adapters.available(name):
        pytest.skip(f"{adapters.load(name).LIBRARY} is not installed")


def test_every_adapter_states_its_library_variant_and_mapping():
    assert len(adapters.ADAPTERS) >= 3
    for name in adapters.ADAPTERS:
        module = adapters.load(name)
        assert module.__doc__ and "Mapping" in module.__doc__, name
        assert module.LIBRARY and module.VARIANT and module.MAPPING, name
        assert getattr(module, "WITHIN_CHUNK", "full") in WITHIN_CHUNK
        if module.available():
            assert module.version(), name
    assert {"torch_flex", "torch_flex_output"} <= set(adapters.installed())


@pytest.mark.parametrize("name", [n for n in adapters.ADAPTERS if n != "torch_flex_output"])
def test_adapter_on_the_installed_library(name: str):
    """Correct where the library is right; every recorded finding still reported."""
    _installed(name)
    findings = FINDINGS.get(name, {})
    results = _run(adapters.target_name(name), sorted({*CONTRACT, *findings}))
    for check, result in results.items():
        if check in findings:
            assert result.status == "fail", f"{name}: finding {check} no longer reported"
            assert findings[check] in result.message and result.counterexample is not None
        else:
            assert result.status == "pass", f"{name}: {check} {result.counterexample} {result}"


def test_flex_attention_output_is_the_reference_mask():
    """flex_attention's own output (one-hot probe) on a length that is not a multiple of any
    block, with partial chunks and limited context: the same as the dense reference."""
    from chunkattn.adapters import torch_flex_output

    config = ChunkConfig(4, 2)  # one config: each new mask_mod costs flex a ~1 s trace
    got = torch_flex_output.create_dynamic_chunk_mask(37, config)
    assert torch.equal(got, reference_mask(37, config))


def test_flex_block_renderings_agree_with_the_reference_in_every_way():
    """Every way the torch_flex adapter builds a block mask (block sizes, and built longer then
    cut with _adjust), on one geometry where full and partial blocks both occur."""
    from chunkattn.adapters import torch_flex
    from chunkattn.adapters._common import block_mask_view

    config = ChunkConfig(8, 1)
    want = reference_mask(45, config)
    for way in range(len(torch_flex.WAYS)):
        block_mask = torch_flex.build_block_mask(45, config, way)
        assert torch.equal(block_mask_view(block_mask, 45), want), torch_flex.WAYS[way]


@pytest.mark.parametrize(
    "module, checks, where",
    [
        # transformers' real mask, window one token too wide (W = L + 2)
        ("hf_window_too_wide.py", ("mask.left_span", "mask.matches_reference"), None),
        # a FlexAttention block mask built for a 16-token sequence, reused for longer ones
        ("flex_reused.py", ("mask.own_chunk", "mask.matches_reference"), 16),
        # a user's flash-style window that counts the current token in left
        ("flash_user_off_by_one.py", ("mask.left_span", "mask.matches_reference"), None),
    ],
)
def test_a_wrong_wrapping_of_a_real_library_fails_with_a_counterexample(module, checks, where):
    results = _run(str(HERE / module), checks, seeds=False)
    failed = [r for r in results.values() if r.status == "fail"]
    assert failed, f"{module} survived {checks}"
    for r in failed:
        assert r.counterexample and r.message
        # a reused block mask is wrong only past the length it was built for
        if where is not None:
            assert r.counterexample["seq_len"] > where


def test_a_users_wenet_style_function_passes_through_the_convention():
    results = _run(str(HERE / "wenet_user.py"), ("mask.matches_reference", "mask.unlimited"))
    assert {r.status for r in results.values()} == {"pass"}


def test_conventions_map_onto_chunk_config():
    assert conventions.from_wenet(16, -1) == ChunkConfig(16, None)
    assert conventions.from_wenet(16, 2) == ChunkConfig(16, 2)
    assert conventions.to_wenet(ChunkConfig(16, None)) == (16, -1)
    assert conventions.from_nemo([64, 15]) == ChunkConfig(16, 4)
    assert conventions.from_nemo([-1, 3]) == ChunkConfig(4, None)
    assert conventions.to_nemo(ChunkConfig(16, 4)) == [64, 15]
    with pytest.raises(conventions.NemoRoundingFinding, match="uses 17 chunks = 68 frames"):
        conventions.from_nemo([70, 3])
    assert conventions.from_nemo([70, 3], strict=False) == ChunkConfig(4, 17)
    with pytest.raises(ValueError, match="right"):
        conventions.from_nemo([64, -1])
    assert conventions.from_flash_window((3, 0)) == ChunkConfig(1, 3)
    assert conventions.from_flash_window(-1) == ChunkConfig(1, None)
    assert conventions.to_flash_window(ChunkConfig(1, None)) == (-1, 0)
    assert conventions.from_hf_sliding_window(4) == ChunkConfig(1, 3)
    assert conventions.to_hf_sliding_window(ChunkConfig(1, 3)) == 4
    # the two window conventions differ by exactly the current token
    for w in (1, 2, 7):
        assert conventions.from_hf_sliding_window(w) == conventions.from_flash_window(w - 1)
    for bad in (lambda: conventions.to_wenet(ChunkConfig(4, -1)),
                lambda: conventions.to_flash_window(ChunkConfig(2, 1)),
                lambda: conventions.from_hf_sliding_window(0),
                lambda: conventions.from_flash_window((4, 2))):  # fmt: skip
        with pytest.raises(ValueError):
            bad()


def test_survey_json_agrees_with_verify(capsys):
    names = ["chunk_mask_lib", "attn_gym_sliding_window", str(HERE / "missing_library.py")]
    for name in names[:2]:
        _installed(name)
    status = run_survey(True, "precommit", adapters=names, select="mask.unlimited")
    entries = json.loads(capsys.readouterr().out)
    assert status == 1
    assert [e["adapter"] for e in entries] == names
    for e in entries:
        assert {"adapter", "target", "library", "version", "ok", "checks"} <= set(e)
    found, fine, missing = entries
    assert found["ok"] is False and found["version"] and found["library"] == "chunk-mask"
    assert fine["ok"] is True and [c["status"] for c in fine["checks"]] == ["pass"]
    assert missing["installed"] is False and missing["ok"] is None and missing["checks"] == []

    for entry in (found, fine):
        code = cli.main(
            ["verify", "--impl", entry["target"], "--profile", "precommit"]
            + ["-k", "mask.unlimited", "--json"]
        )
        report = json.loads(capsys.readouterr().out)
        assert (code == 0) == entry["ok"] == report["ok"]
        assert _timeless(report["checks"]) == _timeless(entry["checks"])


def _timeless(checks: list[dict]) -> list[dict]:
    """Check results without their wall and compile times (which differ from run to run)."""
    return [{k: v for k, v in c.items() if k not in ("seconds", "compile_seconds")} for c in checks]


def test_survey_table_names_the_failure_and_the_missing_library(capsys):
    _installed("chunk_mask_lib")
    entry = survey_adapter("chunk_mask_lib", profile="precommit", select="mask.unlimited")
    assert entry["ok"] is False
    status = run_survey(
        False,
        "precommit",
        adapters=["chunk_mask_lib", str(HERE / "missing_library.py")],
        select="mask.unlimited",
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "not installed" in out and "mask.unlimited" in out and "counterexample" in out
