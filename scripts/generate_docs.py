"""Write what the manual generates: a page per check (``docs/checks/``, from each check's
declaration, as ``chunkattn explain`` prints it) and the README's counts.

    python scripts/generate_docs.py          # rewrite them
    python scripts/generate_docs.py --check  # exit 1 if any is stale (tests/test_docs.py does this)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from chunkattn import adapters
from chunkattn._internal.checks import CHECKS
from chunkattn._internal.commands.explain import write_pages

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "docs" / "checks"
README = ROOT / "README.md"
START, END = "<!-- counts -->", "<!-- /counts -->"


def counts() -> str:
    """The README's one paragraph of numbers, counted from the registry and the catalogues."""
    tests = ROOT / "tests"
    families = list(dict.fromkeys(c.family for c in CHECKS.values()))  # in report order
    impl_bugs = len(list((tests / "impls").glob("bug_*.py")))
    impl_ok = len(list((tests / "impls").glob("correct_*.py")))
    model_bugs = len(list((tests / "models").glob("bug_*.py")))
    train_bugs = len(list((tests / "models").glob("train_bug_*.py")))
    model_ok = len(list((tests / "models").glob("correct_*.py")))
    train_ok = len(list((tests / "models").glob("train_ok_*.py")))
    amp_bugs = len(list((tests / "models").glob("amp_bug_*.py")))
    amp_ok = len(list((tests / "models").glob("amp_ok_*.py")))
    return (
        f"{len(CHECKS)} named checks in {len(families)} families ({', '.join(families)}), "
        f"each with a page in [docs/checks](docs/checks/index.md). Their teeth: "
        f"{impl_bugs + model_bugs + train_bugs + amp_bugs} seeded bugs, each caught by the check "
        f"it names ({impl_bugs} in masks and samplers, {model_bugs} in models and streams, "
        f"{train_bugs} in training, {amp_bugs} in mixed precision), and "
        f"{impl_ok + model_ok + train_ok + amp_ok} correct implementations written in "
        f"other styles that pass every check (in every precision, for the mixed-precision ones). {len(adapters.ADAPTERS)} mask adapters and "
        f"{len(adapters.MODEL_ADAPTERS)} model adapters check the field's installed libraries."
    )


def readme_with_counts(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{counts()}\n{END}{tail}"


def stale() -> list[str]:
    """What differs from what would be generated now."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = {p.name: p.read_text() for p in write_pages(Path(tmp))}
    have = {p.name: p.read_text() for p in PAGES.glob("*.md")} if PAGES.exists() else {}
    out += [
        f"docs/checks/{n}" for n in sorted(set(fresh) | set(have)) if fresh.get(n) != have.get(n)
    ]
    text = README.read_text()
    if START not in text or readme_with_counts(text) != text:
        out.append("README.md (the counts)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if anything is stale")
    args = parser.parse_args(argv)
    if args.check:
        old = stale()
        for name in old:
            print(f"stale: {name} (run python scripts/generate_docs.py)")
        return 1 if old else 0
    for path in PAGES.glob("*.md"):
        path.unlink()
    write_pages(PAGES)
    README.write_text(readme_with_counts(README.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
