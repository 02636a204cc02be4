"""Upstream-ready reproductions (``survey --repro``, ``verify --repro``): each README finding's
script, written from its shrunk counterexample, exits 1 today with plain ``python SCRIPT``; the
fixed variant the suite has (SeamlessM4T v2 under ``sdpa``, ``LocalTransformer`` without rotary,
chunk-mask with a limited context) exits 0; and no script imports chunkattn.

The counterexamples are the survey's (``chunkattn survey --profile ci``), written here as the
entries the survey hands to the writer, so the scripts are made without running the survey.
The scripts run as ``__main__`` in this process (``tests/_scripts.py``: a library is imported
once, not per script) and one of them also as plain ``python SCRIPT`` in a new process.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from chunkattn import adapters
from chunkattn._internal.commands import cli
from chunkattn.adapters.repro import write_repros

sys.path.insert(0, str(Path(__file__).parent))
from _scripts import imported, run_here, run_plain  # noqa: E402

HERE = Path(__file__).parent


def _entry(adapter: str, check: str, case: dict, message: str = "") -> dict:
    return {
        "adapter": adapter,
        "version": "?",
        "checks": [{"name": check, "status": "fail", "counterexample": case, "message": message}],
    }


MODEL_CASE = {"seed": 0, "noise": 0, "chunks": 2, "cut": 0}
STREAM_CASE = {"seed": 0, "noise": 0, "frames": 3, "cuts": []}
BAD_WINDOW = "chunk_size=1, context_chunks=-1 returned a (1, 1, 4, 4) mask instead of raising"

#: (entry, exit status today): the README's findings, then the fixed variants
CASES = [
    (_entry("model_hf_speech:seamless_m4t_v2_eager", "model.chunk_causality", MODEL_CASE), 1),
    (_entry("model_hf_speech:phi4_multimodal_audio_eager", "model.chunk_causality", MODEL_CASE), 1),
    (_entry("model_local_attention:transformer", "stream.equivalence", STREAM_CASE), 1),
    (
        _entry(
            "model_local_attention:transformer_windowed",
            "stream.equivalence",
            STREAM_CASE | {"frames": 6},
        ),
        1,
    ),
    (
        _entry(
            "chunk_mask_lib",
            "mask.matches_reference",
            {"seq_len": 1, "chunk_size": 1, "context_chunks": None},
        ),
        1,
    ),
    (
        _entry(
            "chunk_mask_lib",
            "mask.rejects_bad_input",
            {"seq_len": 4, "chunk_size": 0, "context_chunks": None},
            "RuntimeError: ZeroDivisionError",
        ),
        1,
    ),
    (
        _entry(
            "hf_sliding_window",
            "mask.rejects_bad_input",
            {"seq_len": 4, "chunk_size": 1, "context_chunks": None},
            BAD_WINDOW,
        ),
        1,
    ),
    (
        _entry(
            "hf_chunked",
            "mask.rejects_bad_input",
            {"seq_len": 4, "chunk_size": 0, "context_chunks": 0},
            "RuntimeError: ZeroDivisionError",
        ),
        1,
    ),
    (
        _entry(
            "attn_gym_sliding_window",
            "mask.rejects_bad_input",
            {"seq_len": 4, "chunk_size": 1, "context_chunks": None},
            BAD_WINDOW,
        ),
        1,
    ),
    # the fixed variants: the same property on the entry the suite knows to be exact
    (_entry("model_hf_speech:seamless_m4t_v2_sdpa", "model.chunk_causality", MODEL_CASE), 0),
    (
        _entry(
            "model_local_attention:transformer_dynamic_pos_bias", "stream.equivalence", STREAM_CASE
        ),
        0,
    ),
    (
        _entry(
            "chunk_mask_lib",
            "mask.matches_reference",
            {"seq_len": 7, "chunk_size": 2, "context_chunks": 1},
        ),
        0,
    ),
]


def test_every_readme_finding_has_a_script_that_fails_today_and_passes_once_fixed(tmp_path):
    for entry, _ in CASES:
        if not adapters.available(entry["adapter"]):
            pytest.skip(f"{adapters.load(entry['adapter']).LIBRARY} is not installed")
    scripts = []
    for i, (entry, _) in enumerate(CASES):
        written, missing = write_repros([entry], str(tmp_path / str(i)))
        assert len(written) == 1 and not missing, (entry["adapter"], missing)
        scripts.append(written[0])
    for script in scripts:
        names = imported(script)
        assert "chunkattn" not in names and "torch" in names, (script.name, names)
        compile(script.read_text(), str(script), "exec")
    for (_, want), script in zip(CASES, scripts, strict=True):
        code, out = run_here(script)
        assert code == want, (script.name, out[-800:])
        assert "found on" in out and "property:" in out, out
        assert ("FINDING HOLDS" in out) == (want == 1), out
    # and as a maintainer runs one: plain python, a new process, the same verdict (chunk-mask's,
    # whose imports cost least)
    code, out = run_plain(scripts[4])
    assert code == 1 and "FINDING HOLDS" in out, out


def test_verify_repro_writes_a_script_for_a_users_own_targets(tmp_path, capsys):
    """The user's module is the library under test: imported by path, never chunkattn."""
    model = f"{HERE / 'models' / 'bug_next_chunk_leak.py'}:make_model"
    impl = str(HERE / "impls" / "bug_left_too_narrow.py")
    for option, target, check in (
        ("--model", model, "model.chunk_causality"),
        ("--impl", impl, "mask.left_span"),
    ):
        out = tmp_path / option.strip("-")
        code = cli.main(["verify", option, target, "-k", check, "--repro", str(out), "--json"])
        capsys.readouterr()
        assert code == 1
        (script,) = out.glob("*.py")
        assert "chunkattn" not in imported(script)
        status, printed = run_plain(script)  # its own imports stay out of this process
        assert status == 1 and "FINDING HOLDS" in printed, printed


def test_verify_repro_of_an_adapter_writes_it_in_its_librarys_terms(tmp_path, capsys):
    name = "chunk_mask_lib"
    if not adapters.available(name):
        pytest.skip("chunk-mask is not installed")
    target = adapters.target_name(name)
    select = "mask.matches_reference"
    code = cli.main(["verify", "--impl", target, "-k", select, "--repro", str(tmp_path), "--json"])
    capsys.readouterr()
    assert code == 1
    (script,) = tmp_path.glob("*.py")
    assert imported(script) >= {"chunk_mask", "torch"} and "chunkattn" not in imported(script)
    status, printed = run_here(script)
    assert status == 1 and "FINDING HOLDS" in printed and "chunk-mask" in printed, printed
