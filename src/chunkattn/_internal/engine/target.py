"""What the suite runs on: a target, judged by the capabilities it exposes (docs/contract.md: The seed API; Model targets).

A target module (``--impl``: a dotted name or a path to a ``.py`` file) may expose the whole
seed API or part of it, and a model factory may come with it (``--model``):

- ``create_dynamic_chunk_mask`` (with its ``ChunkConfig``, or chunkattn's): the ``mask.*`` checks;
- ``ChunkConfigSampler``: the ``sampler.*`` and ``ceil.*`` checks;
- a model factory ``NAME(seed)`` given as ``--model MODULE:NAME``: the ``model.*`` checks, the
  ``stream.*`` checks if its models stream, and the training-health checks if they expose the
  ``module`` they train;
- chunkattn itself: also the ``config.*`` and white-box model checks.

Each check runs where its capability exists and is skipped with the reason elsewhere; a target
that exposes nothing checkable is one clear :class:`TargetError`. Every call into a target runs
under a time limit (:mod:`chunkattn._internal.engine.limits`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import Any

from chunkattn._internal.contract.core import WITHIN_CHUNK
from chunkattn._internal.engine.importing import TargetError, import_target_module
from chunkattn._internal.engine.limits import DEFAULT_TIMEOUT, limited, time_limit
from chunkattn._internal.engine.model_target import limited_model_factory, load_model_factory
from chunkattn._internal.engine.precision import Precision, device_problem, parse_device

__all__ = [
    "CAPABILITIES",
    "Capability",
    "bulk_context",
    "bulk_sampler",
    "Target",
    "TargetError",
    "WITHIN_CHUNK",
    "builtin_targets",
    "import_target_module",
    "load_target",
    "mask_on_device",
]


class Capability(StrEnum):
    """What a target exposes, and so which checks it gets (a check ``needs`` some of them)."""

    MASK = "mask"
    SAMPLER = "sampler"
    MODEL = "model"
    STREAM = "stream"
    STREAM_STATE = "stream_state"
    TRAIN = "train"
    OWN = "own"


#: capability -> what provides it, for skip reasons and errors
CAPABILITIES = {
    Capability.MASK: "create_dynamic_chunk_mask",
    Capability.SAMPLER: "ChunkConfigSampler",
    Capability.MODEL: "model (pass --model MODULE:NAME)",
    Capability.STREAM: "model stream()",
    Capability.STREAM_STATE: "stream state_size() with a finite context_chunks",
    Capability.TRAIN: "model module (a torch.nn.Module to train: give the model target a module)",
    Capability.OWN: "config or model code of chunkattn's own (these checks are about chunkattn itself)",
}


@dataclass(frozen=True)
class Target:
    """One implementation under test; a missing part is ``None``.

    ``model`` is a factory ``model(seed) -> ModelTarget`` (see
    :mod:`chunkattn._internal.engine.model_target`). ``is_reference`` marks the naive reference (it is
    not compared with itself).
    """

    name: str
    ChunkConfig: type | None = None
    ChunkConfigSampler: Callable[..., Any] | None = None
    create_dynamic_chunk_mask: Callable[..., Any] | None = None
    context_chunks_for: Callable[..., int] | None = None
    model: Callable[[int], Any] | None = None
    own: bool = False
    is_reference: bool = False
    #: what ``load_target`` takes to load the seed-API part again (in another process)
    source: str | None = None
    #: the model streams (``stream()``), and its stream reports a bounded ``state_size()``
    model_streams: bool = False
    model_state: bool = False
    #: the model exposes its ``module`` (the torch.nn.Module trained): the training-health checks
    model_trains: bool = False
    #: the per-call limit in force, and this target without it (for checks that make thousands
    #: of tiny calls and put one limit around all of them)
    timeout: float | None = None
    unlimited: Target | None = dataclasses.field(default=None, repr=False, compare=False)
    #: the contract's variant: ``"full"`` (a query sees its whole chunk, docs/contract.md: The mask) or
    #: ``"causal"`` (``k <= q`` inside the chunk too: Llama 4's chunked attention, section 11)
    within_chunk: str = "full"
    #: geometry the target always has (a sliding window is ``{"chunk_size": 1}``): drawn cases
    #: are pinned to it, so the mask checks ask only for masks the library can build
    fixed: tuple[tuple[str, Any], ...] = ()
    #: where the model checks run it (``--device``; None: the device of the model's module
    #: where it has parameters, else the CPU), and the precisions the model declares it trains
    #: in (its ``precision``: the default of ``--precision``; None: ``32-true``)
    device: str | None = None
    precisions: tuple[Precision, ...] | None = None

    def pin(self, case: dict[str, Any]) -> dict[str, Any]:
        """``case`` with this target's fixed geometry in force (unchanged if it has none)."""
        if not self.fixed:
            return case
        return {**case, **{k: v for k, v in self.fixed if k in case}}

    @property
    def capabilities(self) -> frozenset[str]:
        found = set()
        if self.ChunkConfig is not None and self.create_dynamic_chunk_mask is not None:
            found.add("mask")
        if self.ChunkConfigSampler is not None:
            found.add("sampler")
        if self.model is not None:
            found.add("model")
        if self.model_streams:
            found.add("stream")
        if self.model_state:
            found.add("stream_state")
        if self.model_trains:
            found.add("train")
        if self.own:
            found.add("own")
        return frozenset(found)

    @property
    def has_sampler(self) -> bool:
        return "sampler" in self.capabilities

    def lacks(self, capability: str) -> str | None:
        """Why a check that needs ``capability`` does not apply here, or None if it does."""
        if capability in self.capabilities:
            return None
        if capability in ("mask", "sampler", "own") and not {"mask", "sampler"} & self.capabilities:
            return (
                f"{self.name} is a model target: no seed API or chunkattn config to check; "
                "pass --impl MODULE for a seed API"
            )
        return f"{self.name} has no {CAPABILITIES[capability]}"

    def with_timeout(self, seconds: float | None) -> Target:
        """This target with every call into it under a ``seconds`` limit."""
        if self.unlimited is not None:
            return self.unlimited.with_timeout(seconds)
        if not seconds:
            return self
        return dataclasses.replace(
            self,
            timeout=seconds,
            unlimited=self,
            ChunkConfigSampler=_limited_sampler(self.ChunkConfigSampler, seconds),
            create_dynamic_chunk_mask=self.create_dynamic_chunk_mask
            and limited(self.create_dynamic_chunk_mask, seconds, "create_dynamic_chunk_mask"),
            context_chunks_for=self.context_chunks_for
            and limited(self.context_chunks_for, seconds, "context_chunks_for"),
            model=self.model and limited_model_factory(self.model, seconds),
        )


class _LimitedSampler:
    """A sampler whose ``sample()`` runs under a time limit."""

    def __init__(self, sampler: Any, seconds: float) -> None:
        self._sampler = sampler
        self._seconds = seconds
        self.sample = limited(sampler.sample, seconds, "ChunkConfigSampler.sample")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sampler, name)


def _limited_sampler(cls: Callable[..., Any] | None, seconds: float):
    if cls is None:
        return None
    build = limited(cls, seconds, "ChunkConfigSampler")
    return lambda *args, **kwargs: _LimitedSampler(build(*args, **kwargs), seconds)


def _from_module(name: str, module: ModuleType) -> Target:
    parts = {
        n: getattr(module, n, None)
        for n in ("ChunkConfig", "ChunkConfigSampler", "create_dynamic_chunk_mask")
    }
    parts = {n: (v if callable(v) else None) for n, v in parts.items()}
    if parts["create_dynamic_chunk_mask"] is not None and parts["ChunkConfig"] is None:
        from chunkattn._internal.contract.core import (
            ChunkConfig,  # a bare mask function takes any config of this shape
        )

        parts["ChunkConfig"] = ChunkConfig
    helper = getattr(module, "context_chunks_for", None)
    within = getattr(module, "WITHIN_CHUNK", "full")
    if within not in WITHIN_CHUNK:
        raise TargetError(f"{name}: WITHIN_CHUNK must be one of {WITHIN_CHUNK}, got {within!r}")
    fixed = getattr(module, "FIXED_GEOMETRY", {})
    if not isinstance(fixed, dict) or not set(fixed) <= {"chunk_size", "context_chunks"}:
        raise TargetError(
            f"{name}: FIXED_GEOMETRY must be a dict with keys chunk_size and/or context_chunks, "
            f"got {fixed!r}"
        )
    return Target(
        name=name,
        context_chunks_for=helper if callable(helper) else None,
        source=name,
        within_chunk=within,
        fixed=tuple(sorted(fixed.items())),
        **parts,
    )


def load_target(
    impl: str | None = None,
    model: str | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    device: str | None = None,
) -> Target:
    """The target for ``--impl`` and/or ``--model`` (neither: chunkattn itself), its model run
    on ``device`` (None: where its module's parameters are, else the CPU).

    Raises :class:`TargetError` with one line saying what is wrong (a device this machine
    lacks included).
    """
    if device is not None:
        try:
            device = parse_device(device)
        except ValueError as exc:
            raise TargetError(str(exc)) from None
        problem = device_problem(device)
        if problem:
            raise TargetError(problem)
    if impl is None and model is None:
        target = builtin_targets()["chunkattn"]
    else:
        builtin = builtin_targets()
        if impl is None:
            target = Target(name=model)
        elif impl in builtin:
            target = builtin[impl]
        else:
            target = _from_module(impl, import_target_module(impl, "--impl"))
        if model is not None:
            factory = load_model_factory(model)
            probe = factory(0)
            stream = probe.stream() if probe.stream else None
            target = dataclasses.replace(
                target,
                name=model if impl is None else f"{target.name} + {model}",
                model=factory,
                model_streams=stream is not None,
                model_state=callable(getattr(stream, "state_size", None))
                and probe.context_chunks is not None,
                model_trains=probe.module is not None,
                precisions=probe.trains_in,
            )
        if not target.capabilities:
            raise TargetError(
                f"{impl}: exposes nothing checkable (looked for create_dynamic_chunk_mask and "
                "ChunkConfigSampler); pass --model MODULE:NAME to check a model"
            )
    if device is not None:
        mask = target.create_dynamic_chunk_mask
        if mask is not None and device != "cpu":
            mask = mask_on_device(mask, device)
        target = dataclasses.replace(target, device=device, create_dynamic_chunk_mask=mask)
    return target.with_timeout(timeout)


def mask_on_device(create: Callable[..., Any], device: str) -> Callable[..., Any]:
    """``create_dynamic_chunk_mask`` built on ``device`` (``device=`` passed to it) whenever the
    caller names no device, and read back to the CPU for the check to compare; a call that
    names its own device (``mask.device``) is passed through as it is."""

    def on_device(seq_len: int, config: Any, *args: Any, **kwargs: Any) -> Any:
        if args or "device" in kwargs:
            return create(seq_len, config, *args, **kwargs)
        mask = create(seq_len, config, device=device)
        return mask if mask is None else mask.cpu()

    return on_device


def builtin_targets() -> dict[str, Target]:
    """chunkattn itself (seed API and its own model), its naive reference, and the two other
    renderings of its mask (mask-only targets)."""
    import torch

    from chunkattn._internal.contract import reference
    from chunkattn._internal.contract.core import ChunkConfig, context_chunks_for
    from chunkattn._internal.engine.own_model import chunkattn_model
    from chunkattn._internal.impl import masks
    from chunkattn._internal.impl.sampler import ChunkConfigSampler

    def reference_mask(seq_len: int, config: ChunkConfig, device=None):
        return reference.reference_mask(seq_len, config, device=device)

    def additive_rendering(seq_len: int, config: ChunkConfig, device=None):
        """The SDPA rendering read back as bool: visible iff the additive mask is 0."""
        mask = masks.additive_mask(masks.create_dynamic_chunk_mask(seq_len, config, device=device))
        return None if mask is None else mask == 0

    def mask_mod_rendering(seq_len: int, config: ChunkConfig, device=None):
        """The flex_attention predicate evaluated on the full (q, k) grid."""
        mod = masks.chunk_mask_mod(config)
        if config.chunk_size is None:
            return None
        idx = torch.arange(seq_len, device=device)
        zero = torch.zeros((), dtype=torch.long, device=device)
        return mod(zero, zero, idx[:, None], idx[None, :])[None, None].clone()

    own = Target(
        name="chunkattn",
        ChunkConfig=ChunkConfig,
        ChunkConfigSampler=ChunkConfigSampler,
        create_dynamic_chunk_mask=masks.create_dynamic_chunk_mask,
        context_chunks_for=context_chunks_for,
        model=chunkattn_model,
        own=True,
        source="chunkattn",
        model_streams=True,
        model_state=True,
        model_trains=True,
    )
    out = {"chunkattn": own}
    for name, fn, is_ref in (
        ("chunkattn._internal.contract.reference", reference_mask, True),
        ("chunkattn.additive", additive_rendering, False),
        ("chunkattn.mask_mod", mask_mod_rendering, False),
    ):
        out[name] = Target(
            name=name,
            ChunkConfig=ChunkConfig,
            create_dynamic_chunk_mask=fn,
            is_reference=is_ref,
            source=name,
        )
    return out


@contextmanager
def bulk_sampler(sampler: Any, draws: int) -> Iterator[Any]:
    """``sampler`` without its per-call limit, under one limit (the per-call one) for ``draws``
    draws: the statistical checks draw thousands of configs, where arming a timer per draw
    would cost ten times the draws."""
    if not isinstance(sampler, _LimitedSampler):
        yield sampler
        return
    with time_limit(sampler._seconds, f"{draws} draws of ChunkConfigSampler.sample"):
        yield sampler._sampler


@contextmanager
def bulk_context(ctx: Any, what: str) -> Iterator[Any]:
    """``ctx`` on the target without per-call limits, under one limit (the per-call one) for the
    whole block: for checks that make thousands of tiny calls, where arming a timer per call
    would cost more than the calls."""
    target = ctx.target
    if target.unlimited is None:
        yield ctx
        return
    with time_limit(target.timeout, what):
        yield dataclasses.replace(ctx, target=target.unlimited)
