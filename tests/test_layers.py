"""The house's plan holds: imports go one way, contract -> impl -> engine -> checks -> adapters ->
commands and integrations -> the public modules, and no module imports itself back through
another, not even from inside a function or under ``TYPE_CHECKING``.

Every ``import`` and ``from ... import`` statement anywhere in a module counts (a function-level
import is an import all the same; it only runs later)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: layer of each part of the package, lowest first; a module may import its own layer and below
LAYERS = {
    "chunkattn._internal.contract": 0,  # the contract: ChunkConfig, the formula, config files
    "chunkattn._internal.impl": 1,  # chunkattn's own mask, sampler, model, stream
    "chunkattn._internal.engine": 2,  # registry, cases, targets, runner, store, helper
    "chunkattn._internal.checks": 3,  # the named checks
    "chunkattn.adapters": 4,  # the field's libraries as targets
    "chunkattn._internal.commands": 5,  # the CLI
    "chunkattn._internal.integrations": 5,  # pytest, the helper process
    "chunkattn._internal": 0,  # the empty package itself
}
PUBLIC = 6  # chunkattn, chunkattn.testing, chunkattn.model, ...: they only re-export


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "chunkattn").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def layer(module: str) -> int:
    for prefix, level in sorted(LAYERS.items(), key=lambda kv: -len(kv[0])):
        if module == prefix or module.startswith(prefix + "."):
            return level
    return PUBLIC


def _imports(module: str, path: Path) -> set[str]:
    """Every chunkattn module ``module`` imports, anywhere in its source."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from pkg import submodule` imports the submodule; `from mod import name`, the module
            names = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source
                for alias in node.names
            ]
        else:
            continue
        found |= {n for n in names if n in MODULES and n != module}
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def test_imports_go_one_way():
    upward = [
        f"{m} (layer {layer(m)}) imports {dep} (layer {layer(dep)})"
        for m, deps in GRAPH.items()
        for dep in sorted(deps)
        if layer(dep) > layer(m)
    ]
    assert not upward, "imports against the flow:\n" + "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_test_sees_a_cycle_and_an_upward_import():
    """The two rules can fail: a made-up cycle and an engine module importing a check."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer("chunkattn._internal.engine.runner") < layer("chunkattn._internal.checks.mask")
    assert layer("chunkattn.testing") == PUBLIC > layer("chunkattn._internal.commands.cli")
    # in-function imports count: the walk sees every statement in the module
    source = "def f():\n    from chunkattn._internal.checks import mask\n"
    tree = ast.parse(source)
    assert any(isinstance(n, ast.ImportFrom) for n in ast.walk(tree))


def test_public_modules_only_re_export():
    """The public modules define nothing of their own: the working code is in ``_internal``."""
    for module, path in MODULES.items():
        if layer(module) != PUBLIC or module.startswith("chunkattn.properties"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        allowed = {"__getattr__", "__dir__"}  # the lazy re-export of chunkattn itself
        assert set(defined) <= allowed, f"{module} defines {defined}: move it to _internal"
