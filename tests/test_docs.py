"""The manual builds and holds together: the generated pages are current, every check has a page
(``chunkattn explain``), every relative link and anchor resolves, a check's page names every
catalogued bug it catches, and the README stays a landing page."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from chunkattn._internal.commands.explain import main as explain
from chunkattn._internal.commands.explain import page
from chunkattn.testing import CHECKS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.rglob("*.md")])


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_docs", ROOT / "scripts" / "generate_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_and_counts_are_current():
    stale = _generator().stale()
    assert not stale, f"stale: {stale}; run python scripts/generate_docs.py"


def test_every_check_has_its_page(capsys: pytest.CaptureFixture[str]):
    for name, check in CHECKS.items():
        assert explain(name) == 0
        out = capsys.readouterr().out
        assert out == page(check) and out.startswith(f"# {name}\n\n{check.summary}\n")
        for section in ("## What it asserts", "## Why it matters", "## Example failure"):
            assert section in out, f"{name}'s page has no {section!r}"
        assert "## Catches" in out and "## How to fix" in out and "## Cases" in out, name


def test_explain_from_the_command_line(capsys: pytest.CaptureFixture[str]):
    """The command's wiring, in process (a known name's page goes through a new process in
    tests/test_add_a_check.py): an unknown name is one line on stderr, exit 2."""
    from chunkattn._internal.commands.cli import main

    assert main(["explain", "ceil.exactly"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "did you mean ceil.exact" in err
    assert main(["explain", "ceil.exact"]) == 0 and "0.56" in capsys.readouterr().out


def _catalogue() -> dict[str, list[str]]:
    """check -> the catalogued bug modules whose EXPECTED_FAILURE names it."""
    out: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        match = re.search(r'^EXPECTED_FAILURE = "([^"]+)"', path.read_text(), re.M)
        if match:
            out.setdefault(match.group(1), []).append(str(path.relative_to(ROOT)))
    return out


def test_a_checks_page_names_every_bug_it_catches():
    catalogue = _catalogue()
    assert sum(map(len, catalogue.values())) > 50  # the walk found the catalogues
    missing = [
        f"{name}: {path}"
        for name, paths in catalogue.items()
        for path in paths
        if path not in CHECKS[name].doc
    ]
    assert not missing, "add each to its check's '## Catches' section:\n" + "\n".join(missing)


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub renders it."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.M)}


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve(doc: Path):
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(f"{target}: no heading #{anchor} in {path.relative_to(ROOT)}")
    assert not broken, f"{doc.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_the_link_check_can_fail(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text("# A title\n\n[ok](#a-title) [bad](#nope) [gone](missing.md)\n")
    text = page.read_text()
    targets = LINK.findall(text)
    assert targets == ["#a-title", "#nope", "missing.md"]
    assert "a-title" in _anchors(page) and "nope" not in _anchors(page)
    assert not (tmp_path / "missing.md").exists()
    assert _slug("The `mask.*` checks: one, two") == "the-mask-checks-one-two"


def test_the_readme_is_a_landing_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) <= 10 * 1024
    for marker in ("<!-- setup -->", "<!-- tests -->", "<!-- counts -->"):
        assert marker in readme


def test_no_reference_to_a_file_the_repository_does_not_hold():
    """The contract once lived in a SPEC.md outside the repository; nothing may point there."""
    sources = [*PAGES, *(ROOT / "src").rglob("*.py"), *(ROOT / "src").rglob("*.yaml")]
    cited = [str(p.relative_to(ROOT)) for p in sources if re.search(r"\bSPEC\b", p.read_text())]
    assert not cited, f"these cite the SPEC, which users cannot read: {cited}"
