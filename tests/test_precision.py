"""Precisions and devices as data (docs/contract.md: Precision and device): Lightning's names,
their dtypes and exact-integer ranges measured against torch, the tolerances the comparison
checks use, a model target placed in a precision and on a device, and the one-line errors."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from chunkattn._internal.checks.model import check_padding_invariance, differs
from chunkattn._internal.checks.train import check_overfits, overfit_run, train_call
from chunkattn._internal.commands.cli import main
from chunkattn._internal.engine.model_target import as_model_target, load_model_factory
from chunkattn._internal.engine.placement import PlacementError, place
from chunkattn._internal.engine.precision import (
    ALL,
    Precision,
    device_problem,
    parse_device,
    parse_precisions,
)
from chunkattn._internal.engine.registry import CheckFailure
from chunkattn._internal.engine.target import TargetError, load_target

MODELS = Path(__file__).parent / "models"


def test_lightning_names_and_all():
    assert [p.value for p in Precision] == [
        "32-true",
        "bf16-mixed",
        "16-mixed",
        "bf16-true",
        "16-true",
    ]
    assert parse_precisions("all") == ALL == parse_precisions("32-true, bf16-mixed,16-mixed")
    assert parse_precisions(["16-true", "all", "16-true"]) == (Precision.FP16_TRUE, *ALL)
    with pytest.raises(ValueError) as caught:
        parse_precisions("32-true,fp8")
    message = str(caught.value)
    assert "\n" not in message and "'fp8'" in message and "bf16-true" in message
    assert "all" in message


@pytest.mark.parametrize("precision", list(Precision), ids=str)
def test_dtype_eps_and_exact_integers_are_torchs(precision: Precision):
    dtype = precision.dtype
    assert precision.eps == torch.finfo(dtype).eps
    exact = precision.exact_integers
    if exact <= 2**12:  # bfloat16 and float16: every integer up to the range, and not past it
        ints = torch.arange(exact + 8)
        as_dtype = torch.arange(exact + 8, dtype=dtype).long()
        assert torch.equal(as_dtype[: exact + 1], ints[: exact + 1])
        assert not torch.equal(as_dtype, ints)
    assert precision.mixed == precision.value.endswith("mixed")
    assert precision.cast == (precision.value.endswith("true") and precision.reduced)


def test_tolerances_scale_with_eps_and_float32_keeps_its_own():
    assert Precision.TRUE_32.tolerance.atol == 1e-5 == Precision.TRUE_32.tolerance.rtol
    for p in (Precision.BF16_MIXED, Precision.FP16_MIXED):
        assert p.tolerance.atol == 32 * p.eps and "eps" in p.tolerance.text
    a, b = torch.zeros(3), torch.full((3,), 0.1)
    assert differs(a, b) > 0  # a 0.1 difference is a difference in float32 ...
    assert differs(a, b, Precision.BF16_MIXED.tolerance) == 0  # ... and rounding in bfloat16
    assert differs(a, b, Precision.FP16_MIXED.tolerance) > 0  # float16 holds 0.1 more finely
    assert differs(a, torch.full((3,), float("nan")), Precision.BF16_MIXED.tolerance) > 0


def test_devices_parse_and_a_missing_one_is_one_line():
    assert parse_device("CUDA:1") == "cuda:1" and device_problem("cpu") is None
    with pytest.raises(ValueError, match="expected cpu, cuda, cuda:N or mps"):
        parse_device("tpu")
    if not torch.cuda.is_available():
        problem = device_problem("cuda")
        assert problem and "\n" not in problem and "no CUDA device" in problem


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_verify_on_a_device_this_machine_lacks_is_exit_2(capsys):
    code = main(
        ["verify", "--model", f"{MODELS / 'amp_ok_sdpa_bool.py'}:make_model", "--device", "cuda"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "no CUDA device" in err


class _Probe(torch.nn.Module):
    """Records the dtype its linear layer computes in and the device its inputs arrive on."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)
        self.seen: list = []

    def forward(self, x, lengths):
        y = self.linear(x)
        self.seen.append((x.dtype, y.dtype, x.device.type, lengths.dtype))
        return y


def _probe_target(module: torch.nn.Module | None = None, **extra) -> object:
    net = module or _Probe()
    return as_model_target(
        SimpleNamespace(
            forward=net,
            features=3,
            samples_per_patch=1,
            chunk_size=1,
            context_chunks=0,
            depth=1,
            module=net,
            **extra,
        )
    )


@pytest.mark.parametrize(
    ("precision", "seen", "params"),
    [
        (Precision.TRUE_32, (torch.float32, torch.float32), torch.float32),
        (Precision.BF16_MIXED, (torch.float32, torch.bfloat16), torch.float32),
        (Precision.FP16_MIXED, (torch.float32, torch.float16), torch.float32),
        (Precision.BF16_TRUE, (torch.bfloat16, torch.bfloat16), torch.bfloat16),
        (Precision.FP16_TRUE, (torch.float16, torch.float16), torch.float16),
    ],
    ids=str,
)
def test_place_runs_the_forward_as_training_runs_it(precision, seen, params):
    model = place(_probe_target(), precision)
    model.forward(torch.randn(2, 4, 3), torch.tensor([4, 2]))
    net = model.module
    assert net.seen[-1] == (*seen, "cpu", torch.int64)
    assert net.linear.weight.dtype == params and model.precision is precision
    train_call(model)(torch.randn(1, 2, 3), torch.tensor([2]))
    assert net.training and net.seen[-1][:2] == seen


def test_true_precisions_need_a_module():
    bare = as_model_target(
        SimpleNamespace(
            forward=lambda x, lengths: x,
            features=3,
            samples_per_patch=1,
            chunk_size=1,
            context_chunks=0,
            depth=1,
        )
    )
    assert place(bare, Precision.BF16_MIXED).precision is Precision.BF16_MIXED
    with pytest.raises(PlacementError, match="exposes no module"):
        place(bare, Precision.BF16_TRUE)


def test_a_factory_that_takes_device_gets_it_and_a_declared_precision_is_read(tmp_path):
    path = tmp_path / "devmodel.py"
    path.write_text(
        "from types import SimpleNamespace\nimport torch\n\n"
        "def make_model(seed=0, device=None):\n"
        "    net = torch.nn.Linear(2, 2)\n"
        "    features = 2 if device is None else 5  # says which device it was given\n"
        "    return SimpleNamespace(forward=net, features=features, samples_per_patch=1, chunk_size=1,"
        " context_chunks=0, depth=1, precision='bf16-mixed')\n"
    )
    factory = load_model_factory(f"{path}:make_model")
    model = factory(0, device="cpu")
    assert model.trains_in == (Precision.BF16_MIXED,) and model.features == 5
    assert factory(0).features == 2
    target = load_target(model=f"{path}:make_model", device="cpu")
    assert target.device == "cpu" and target.precisions == (Precision.BF16_MIXED,)
    bad = tmp_path / "badprec.py"
    bad.write_text(path.read_text().replace("'bf16-mixed'", "'fp8'"))
    with pytest.raises(TargetError) as caught:
        load_target(model=f"{bad}:make_model")
    assert "\n" not in str(caught.value) and "precision 'fp8'" in str(caught.value)


def test_comparison_messages_state_the_tolerance():
    class Leaky(torch.nn.Module):
        """A row's output depends on the padding (a sum over all frames)."""

        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def forward(self, x, lengths):
            return x + self.w * x.sum(1, keepdim=True) * 1e-2

    model = place(_probe_target(Leaky()), Precision.BF16_MIXED)
    with pytest.raises(CheckFailure) as caught:
        check_padding_invariance(model, [2, 1], pad=2)
    assert "bf16-mixed tolerance 0.25 + 0.25 x scale (32 bfloat16 eps)" in str(caught.value)


def test_16_mixed_trains_through_a_grad_scaler_and_counts_its_skips():
    """The norm-in-half bug is NaN in float16 at every step the padded row is in: the scaler
    skips; a healthy model's run skips nothing past the scaler's calibration."""
    from importlib import util

    def load(name: str):
        import sys

        sys.path.insert(0, str(MODELS))
        spec = util.spec_from_file_location(name, MODELS / f"{name}.py")
        module = util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    healthy = place(as_model_target(load("amp_ok_finfo_min").make_model(0)), Precision.FP16_MIXED)
    run = overfit_run(healthy, steps=60)
    assert not run.mostly_skipped and len(run.losses) >= 2 * len(run.skipped)
    buggy = place(as_model_target(load("amp_bug_norm_in_half").make_model(0)), Precision.FP16_MIXED)
    run = overfit_run(buggy, steps=40, stop_early=False)
    assert run.mostly_skipped and run.skipped[0] == 0
    with pytest.raises(CheckFailure, match="GradScaler skipped 40 of 40 Adam steps"):
        check_overfits(buggy, steps=40)


def test_the_mask_checks_build_masks_on_the_device():
    """With --device, a mask the checks ask for without a device is built there (``device=``)
    and read back; a call that names its own device (``mask.device``) is left alone."""
    from chunkattn._internal.engine.target import mask_on_device

    calls = []

    class Built:
        def cpu(self):
            return "read back"

    def create(seq_len, config, device=None):
        calls.append(device)
        return Built()

    on_cuda = mask_on_device(create, "cuda")
    assert on_cuda(8, None) == "read back" and calls == ["cuda"]
    assert isinstance(on_cuda(8, None, device="meta"), Built) and calls == ["cuda", "meta"]


def test_a_maximum_length_is_not_a_corner_finding_and_a_bare_assert_says_where(tmp_path):
    """A model that refuses rows past its maximum length is not held to the exact-integer
    corner; a bare ``assert`` in the target's code is reported with its file and line."""
    from hypothesis import Phase, settings

    from chunkattn._internal.engine.registry import CheckContext
    from chunkattn._internal.engine.runner import run_check
    from chunkattn.testing import CHECKS, profile_settings

    profile = settings(profile_settings("precommit"), phases=(Phase.explicit, Phase.generate))
    check = CHECKS["model.chunk_causality"]
    results = {}
    for limit in (100, 0):
        path = tmp_path / f"limited_{limit}.py"
        path.write_text(
            "from types import SimpleNamespace\n\n\n"
            "def forward(x, lengths):\n"
            f"    assert x.shape[1] <= {limit}\n"
            "    return x * 2.0  # each output reads its own frame only\n\n\n"
            "def make_model(seed=0):\n"
            "    return SimpleNamespace(forward=forward, features=2, samples_per_patch=1,"
            " chunk_size=2, context_chunks=0, depth=1)\n"
        )
        target = load_target(model=f"{path}:make_model")
        results[limit] = run_check(
            check, CheckContext(target, precision=Precision.BF16_MIXED), profile
        )
    assert results[100].status == "pass", results[100].message
    bad = results[0]
    assert bad.status == "fail" and bad.message.startswith("AssertionError at "), bad.message
    assert "limited_0.py:5: assert x.shape[1] <= 0" in bad.message


def test_fuzz_and_survey_run_a_model_check_once_per_precision():
    from chunkattn._internal.commands.fuzz import units
    from chunkattn._internal.commands.survey import survey_adapter
    from chunkattn.testing import CHECKS

    chosen = [CHECKS["mask.causality"], CHECKS["model.finite"]]
    names = [u.name for u in units(chosen, (Precision.TRUE_32, Precision.FP16_MIXED))]
    assert names == ["mask.causality", "model.finite [32-true]", "model.finite [16-mixed]"]
    entry = survey_adapter(
        "chunkattn.adapters.model_local_attention:attention",
        profile="precommit",
        select="model.finite",
        precisions=(Precision.BF16_MIXED, Precision.FP16_MIXED),
    )
    finite = [c for c in entry["checks"] if c["name"] == "model.finite"]
    assert [(c["precision"], c["status"]) for c in finite] == [
        ("bf16-mixed", "pass"),
        ("16-mixed", "pass"),
    ]
