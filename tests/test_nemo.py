"""NeMo's cache-aware conformer (``chunkattn.adapters.model_nemo``): its geometry and its
cache-aware stream are what its config says; the findings are still reported (so a fix upstream
shows up as a change); its multi-lookahead sampler draws what it is configured to draw; and the
reproduction scripts of the findings run with plain ``python`` (exit 1 today, 0 on the fixed
variant) and import no chunkattn.

NeMo costs ~13 s to import: these tests are few and in this one module (the import is paid by
the worker that runs them). They skip, saying why, only when NeMo is not installed
(``pip install -e '.[nemo]'``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from chunkattn import adapters
from chunkattn._internal.engine.model_target import as_model_target
from chunkattn.adapters import model_nemo

sys.path.insert(0, str(Path(__file__).parent))
from _scripts import imported, run_here  # noqa: E402

pytestmark = pytest.mark.skipif(
    not model_nemo.available(),
    reason="NeMo is not installed (pip install -e '.[nemo]'; .ci/run installs it)",
)

NEMO = [n for n in adapters.MODEL_ADAPTERS if n.startswith("model_nemo:")]
STREAMED = ("chunked_limited_causal", "chunked_limited_causal_wide")
#: seeds whose configs hit the findings (see the README): no left context, a window of 1
NO_LEFT_CONTEXT_SEED = 1  # chunked_limited_causal: att_context_size [0, 1]
WINDOW_OF_ONE_SEED = 6717  # rel_pos_local_attn: att_context_size [1, 0]


def _model(factory: str, seed: int = 0):
    return as_model_target(getattr(model_nemo, factory)(seed=seed), factory)


def test_every_nemo_entry_is_its_declared_geometry_and_streams_exactly():
    from chunkattn._internal.checks.model import check_chunk_causality, check_receptive_field
    from chunkattn._internal.checks.stream import check_bounded_state, check_stream_equivalence

    assert len(NEMO) >= 4
    for name in NEMO:
        factory = name.partition(":")[2]
        model = _model(factory)
        for in_chunk in range(model.window_chunks()):
            check_receptive_field(model, in_chunk)
        check_chunk_causality(model, chunks=4, cut=1)
        assert (model.stream is not None) == (factory in STREAMED), factory
    for factory in STREAMED:
        model = _model(factory)
        for frames, cuts in ((40, []), (37, [1, 5, 6, 19]), (9, [3, 3]), (3, [])):
            check_stream_equivalence(model, frames, cuts)
        check_bounded_state(model, piece=5)
    assert _model("regular").right_reach == 1  # the window's right context, every layer
    assert _model("chunked_limited").right_reach == 1  # the symmetric convolution's right half


def test_the_nemo_findings_still_hold_and_the_sampler_draws_what_it_is_configured_to():
    import torch

    from chunkattn._internal.checks.stream import check_stream_equivalence
    from chunkattn._internal.engine.registry import CheckFailure
    from chunkattn.adapters.sampler_nemo import binomial_interval, check_sampler, draws
    from chunkattn.adapters.sampler_nemo import multi_lookahead_encoder as build

    no_left = _model("chunked_limited_causal", NO_LEFT_CONTEXT_SEED)
    assert no_left.context_chunks == 0
    # the cache of a layer with no left context is never trimmed: it grows, then fails
    with pytest.raises((CheckFailure, RuntimeError)):
        check_stream_equivalence(no_left, 9, [])
    with pytest.raises(RuntimeError, match="expanded size"):
        _model("rel_pos_local_attn", WINDOW_OF_ONE_SEED).forward(
            torch.zeros(1, 16, model_nemo.FEATURES), torch.tensor([16])
        )
    result = check_sampler(n=300)
    assert result["draws"]["ok"], result["draws"]["problems"]
    assert not result["accepts"]["ok"] and "sum" in result["accepts"]["error"]
    # the comparison has teeth: the same draws against a different claimed distribution fail
    counts, _ = draws(build([[4, 1], [4, 0]], [0.5, 0.5]), 300)
    lo, hi = binomial_interval(300, 0.8, 1e-6 / 2)
    assert not lo <= counts[(4, 1)] <= hi


def test_the_nemo_reproductions_fail_today_pass_on_the_fixed_variant_and_import_no_chunkattn(
    tmp_path,
):
    from chunkattn.adapters.repro import write_repros
    from chunkattn.adapters.sampler_nemo import REPRO_PROBS

    def entry(factory, check, case, status="fail"):
        return {
            "adapter": f"model_nemo:{factory}",
            "version": model_nemo.version(),
            "checks": [{"name": check, "status": status, "counterexample": case, "message": ""}],
        }

    stream_case = {"frames": 9, "cuts": [], "noise": 0}
    findings = [
        entry("chunked_limited_causal", "stream.equivalence", stream_case | {"seed": 1}),
        entry(
            "rel_pos_local_attn",
            "model.receptive_field",
            {"seed": WINDOW_OF_ONE_SEED, "noise": 0, "in_chunk": 0},
            "error",
        ),
    ]
    fixed = [entry("chunked_limited_causal", "stream.equivalence", stream_case | {"seed": 0})]
    today, missing = write_repros(findings, str(tmp_path / "today"))
    healthy, _ = write_repros(fixed, str(tmp_path / "fixed"))
    assert len(today) == 2 and not missing and len(healthy) == 1
    probs = tmp_path / "today" / "nemo_att_context_probs.py"
    probs.write_text(REPRO_PROBS.format(version=model_nemo.version()))
    scripts = [*today, probs, *healthy]
    for script in scripts:
        names = imported(script)
        assert "chunkattn" not in names and {"torch", "nemo"} <= names, (script.name, names)
    codes = [run_here(script) for script in scripts]
    assert [code for code, _ in codes] == [1, 1, 1, 0], codes
    assert all("found on nemo-toolkit" in out and "property:" in out for _, out in codes), codes
    # run_here runs each as __main__ in a fresh namespace; a new `python SCRIPT` process per
    # script is what tests/test_repro.py does for lighter libraries (NeMo's import in a new
    # process would cost the suite ~8 s of its 90)


def test_survey_library_nemo_runs_nemo_only_with_the_verdict_of_verify(capsys, tmp_path: Path):
    from chunkattn._internal.commands import cli
    from chunkattn._internal.commands.survey import survey_adapter

    assert cli.main(["survey", "--library", "no-such-library"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--library" in err and "nemo" in err
    # the same regression case through both, replayed alone (profile "seeds"): model seed 1 is
    # att_context_size [0, 1], the no-left-context stream; a profile's own draws would make the
    # two verdicts compared a matter of which seeds each happened to draw
    name = "model_nemo:chunked_limited_causal"
    select = "stream.equivalence"
    case = {"seed": 1, "noise": 0, "frames": 9, "cuts": []}
    entry = survey_adapter(name, profile="seeds", select=select, seeds={select: [case]})
    assert entry["library"] == "nemo" and entry["ok"] is False
    seeds = tmp_path / "seeds.yaml"
    seeds.write_text(json.dumps({select: [case]}))  # JSON is YAML
    argv = ["verify", "--model", adapters.target_name(name), "-k", select, "--json"]
    code = cli.main([*argv, "--profile", "seeds", "--seeds", str(seeds)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["ok"] is entry["ok"]
