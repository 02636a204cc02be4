"""verify's second process: the checks it runs there give the verdicts they give here, and the
replies of the one helper process reach the requests they answer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from chunkattn._internal.commands.cli import main
from chunkattn._internal.contract.loader import load_config
from chunkattn._internal.engine.helper import Helper
from chunkattn._internal.engine.offload import OFFLOADED, offload
from chunkattn.testing import CHECKS, CheckContext, load_target, profile_settings

IMPLS = Path(__file__).parent / "impls"


def _verify(capsys, impl: str, *extra: str) -> tuple[int, dict[str, str]]:
    capsys.readouterr()
    code = main(["verify", "--profile", "precommit", "--impl", str(IMPLS / impl), *extra])
    status = {}
    for line in capsys.readouterr().out.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASS", "FAIL", "SKIP", "ERROR"):
            status[rest.split()[0]] = word
    return code, status


@pytest.mark.parametrize("impl", ["bug_device_ignored.py", "bug_cache_ignores_device.py"])
def test_an_offloaded_check_still_catches_its_bug(capsys, impl: str):
    code, status = _verify(capsys, impl, "-k", "mask.shape_dtype")
    assert (code, status) == (1, {"mask.shape_dtype": "FAIL"})


def test_offloaded_and_isolation_requests_share_the_helper(capsys):
    """mask.shape_dtype is answered by the helper first, while sampler.isolation's draws (asked
    later, answered later) still catch a seed salted by the process."""
    code, status = _verify(capsys, "bug_hash_seed.py")
    assert code == 1
    assert status["mask.shape_dtype"] == "PASS" and status["sampler.isolation"] == "FAIL"
    assert [name for name, word in status.items() if word in ("FAIL", "ERROR")] == [
        "sampler.isolation"
    ]


def test_offload_picks_only_checks_that_apply():
    target = load_target("chunkattn._internal.contract.reference")
    ctx = CheckContext(target, load_config())
    chosen = offload(CHECKS.values(), ctx, "precommit", {}, config=None)
    assert set(chosen.tickets) == set(OFFLOADED)
    results = chosen.merge([], CHECKS.values(), ctx, profile_settings("precommit"), {})
    assert [(r.name, r.status) for r in results] == [(name, "pass") for name in OFFLOADED]
    for unloadable in (
        dataclasses.replace(target, create_dynamic_chunk_mask=None),  # no mask: skipped
        dataclasses.replace(target, source=None),  # another process cannot load it
    ):
        ctx = CheckContext(unloadable, load_config())
        assert not offload(CHECKS.values(), ctx, "precommit", {}, config=None).tickets


#: a sampler case the helper draws from (``seed`` added per request)
SAMPLER_CASE = {
    "chunk_size_min": 1,
    "chunk_size_max": 9,
    "context_sec_min": 0.0,
    "context_sec_max": 3.0,
    "timestep_duration_sec": 0.08,
    "chunkwise_prob": 1.0,
    "left_constrain_prob": 1.0,
}


def test_replies_reach_their_requests_in_any_order_of_asking():
    helper = Helper()
    try:
        case = SAMPLER_CASE
        tickets = [
            helper.submit({"source": "chunkattn", "case": {**case, "seed": s}, "n": 5})
            for s in range(3)
        ]
        late, early = helper.reply(tickets[2]), helper.reply(tickets[0])
        assert early == helper.ask({"source": "chunkattn", "case": {**case, "seed": 0}, "n": 5})
        assert late == helper.ask({"source": "chunkattn", "case": {**case, "seed": 2}, "n": 5})
        assert early != late
        assert isinstance(helper.ask({"source": "no_such_module_xyz", "case": case, "n": 1}), str)
    finally:
        helper.stop()


def test_a_helper_is_ended_at_once_when_nothing_is_left_to_answer():
    """Its interpreter's teardown would only hold up verify's exit; one still answering is
    waited for."""
    case = {**SAMPLER_CASE, "seed": 0}
    request = {"source": "chunkattn", "case": case, "n": 2}
    answered = Helper()
    assert len(answered.ask(request)) == 2
    answered.stop()
    assert answered.process.returncode < 0  # killed: every reply had been read
    pending = Helper()
    pending.submit(request)
    pending.stop()
    assert pending.process.returncode == 0  # it answered, read the end of its input, and exited
