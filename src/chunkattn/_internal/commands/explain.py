"""``chunkattn explain CHECK``: a check's page, generated from its declaration (as ``ruff rule``).

The page is the check's docstring (what it asserts, why it matters, an example failure, the
catalogued bugs it catches, how to fix) under a header generated from the rest of its
declaration: its family, what it needs of a target, where it is declared, and the cases it draws
(the fields and bounds of its schema, which a stored case must fit too). ``docs/checks/`` holds
the same pages, written by :func:`write_pages`; a test keeps them current.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import TextIO

from chunkattn._internal.checks import CHECKS
from chunkattn._internal.engine.registry import Check
from chunkattn._internal.engine.results import ExitCode
from chunkattn._internal.engine.schema import Record
from chunkattn._internal.engine.target import CAPABILITIES

__all__ = ["index_page", "main", "page", "unknown_check", "write_pages"]

#: what each capability means in a sentence, for the header
_RUNS_ON = {
    "mask": "a target with `create_dynamic_chunk_mask` (`--impl`)",
    "sampler": "a target with `ChunkConfigSampler` (`--impl`)",
    "model": "a model target (`--model MODULE:NAME`)",
    "stream": "a model target with `stream()`",
    "stream_state": "a model target whose stream has `state_size()` and a finite `context_chunks`",
    "train": "a model target with `module` (a `torch.nn.Module` to train)",
    "own": "chunkattn's own config and model code",
}


def _cases_section(check: Check) -> list[str]:
    schema = check.schema
    lines = ["## Cases", ""]
    if isinstance(schema, Record):
        lines.append("Each example draws these fields; a stored case (a regression seed, a shared")
        lines.append("database's entry) must fit them too, or it is set aside and never run:")
        lines.append("")
        for key, field in schema.fields.items():
            optional = " (may be absent)" if key in schema.optional else ""
            lines.append(f"- `{key}`: {field.describe()}{optional}")
    else:
        lines.append(f"Each example draws {schema.describe()}; a stored case must fit it too.")
    if check.exhaustive:
        lines += ["", "One example runs the whole grid: the check is exhaustive, not sampled."]
    return lines


def page(check: Check) -> str:
    """The Markdown page of ``check``: its declaration's header, its docstring, its cases."""
    summary, _, body = check.doc.partition("\n")
    runs_on = "; and ".join(_RUNS_ON.get(n, CAPABILITIES.get(n, n)) for n in check.needs)
    share = "exhaustive (one example)" if check.exhaustive else f"{check.example_share:.0%}"
    header = [
        f"# {check.name}",
        "",
        summary.strip(),
        "",
        f"- Family: `{check.family}`",
        f"- Runs on: {runs_on}"
        + (" (not on the naive reference)" if check.not_on_reference else ""),
        f"- Examples: {share} of the profile's `max_examples`",
        f"- Declared in: `{check.module}`",
        f"- Run it alone: `chunkattn verify -k {check.name}`",
    ]
    text = "\n".join(header) + "\n"
    if body.strip():
        text += "\n" + body.strip() + "\n"
    return text + "\n" + "\n".join(_cases_section(check)) + "\n"


def index_page() -> str:
    """``docs/checks/index.md``: every check by family, each with its summary and its page."""
    lines = [
        "# The named checks",
        "",
        "Generated from the checks' declarations (`chunkattn explain NAME` prints the same page).",
        "",
    ]
    family = None
    for name, check in CHECKS.items():
        if check.family != family:
            family = check.family
            lines += ["", f"## {family}", "", "| check | asserts |", "|---|---|"]
        lines.append(f"| [`{name}`]({name}.md) | {check.summary.replace('|', '/')} |")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


def write_pages(directory: Path) -> list[Path]:
    """Write every check's page and the index into ``directory``; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, check in CHECKS.items():
        path = directory / f"{name}.md"
        path.write_text(page(check), encoding="utf-8")
        written.append(path)
    index = directory / "index.md"
    index.write_text(index_page(), encoding="utf-8")
    return [*written, index]


def unknown_check(name: str) -> str:
    """The one line for a name that is no check, with the closest names."""
    close = difflib.get_close_matches(name, list(CHECKS), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(CHECKS)}"
    return f"chunkattn explain: unknown check {name!r}; {hint}"


def main(name: str, out: TextIO | None = None, err: TextIO | None = None) -> ExitCode:
    """Print the page of the check ``name`` (on ``out``, default stdout): 0; an unknown name is
    one line on ``err`` (default stderr), 2."""
    out, err = out or sys.stdout, err or sys.stderr
    check = CHECKS.get(name)
    if check is None:
        print(unknown_check(name), file=err)
        return ExitCode.USAGE
    out.write(page(check))
    return ExitCode.OK
