"""The tree shows the flow: imports go one way, between stages and inside them."""

from __future__ import annotations

import ast
from pathlib import Path

import spm_lib

ROOT = Path(spm_lib.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[tuple[str, tuple[str, ...]]]]:
    """module -> {(imported module, names)} for every import, inside functions too."""
    graph: dict[str, set] = {}
    for path in ROOT.rglob("*.py"):
        name = _module_name(path)
        found = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "spm_lib"
            ):
                found.add((node.module, tuple(a.name for a in node.names)))
            elif isinstance(node, ast.Import):
                found |= {(a.name, ()) for a in node.names if a.name.startswith("spm_lib")}
    return graph


def _edges(graph) -> dict[str, set[str]]:
    modules = set(graph)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, imports in graph.items():
        for target, names in imports:
            for name in names:  # `from spm_lib.measures import metrics`: the module itself
                if f"{target}.{name}" in modules:
                    edges[module].add(f"{target}.{name}")
            if target in modules and not all(f"{target}.{n}" in modules for n in names):
                edges[module].add(target)
    return edges


def test_no_import_cycle_between_modules():
    edges = _edges(_imports())
    # package faces re-export their modules: an edge into a package's own __init__ from inside
    # it is how a face is built, not a cycle of logic
    for module in edges:
        edges[module] = {t for t in edges[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)


def test_no_private_name_crosses_a_module():
    offenders = [
        f"{module} imports {name} from {target}"
        for module, imports in _imports().items()
        for target, names in imports
        for name in names
        if name.startswith("_") and target != module
    ]
    assert not offenders, offenders


def test_stages_point_one_way():
    """The dataset stage imports no analysis, report or suite module; the report layer (inside a
    notebook) imports nothing of the suite (outside); the analyses import neither: a report's
    words and display live in its page module (spm_lib.pages)."""
    edges = _edges(_imports())
    analysis = {m for m in edges if m.count(".") == 1 and (ROOT / f"{m[8:]}.py").exists()}
    analysis -= {"spm_lib.exceptions", "spm_lib.periods"}  # the shared vocabulary
    for module, targets in edges.items():
        if module.startswith("spm_lib.dataset"):
            assert not {t for t in targets if t in analysis or t.startswith(
                ("spm_lib.report", "spm_lib.suite", "spm_lib.importers"))}, module
        if module.startswith("spm_lib.report"):
            assert not {t for t in targets if t.startswith("spm_lib.suite")}, module
        if module in analysis:
            assert not {t for t in targets if t.startswith(("spm_lib.report", "spm_lib.suite"))
                        }, (module, targets)  # fmt: skip


def test_old_module_names_still_import_for_analysts():
    from spm_lib import data, leads, outlook, plots, scorecard
    from spm_lib.measures import metrics

    assert outlook.forecast_run and scorecard.at_risk and plots.set_style and data.load_dataset
    assert metrics.win_rate and leads.funnel


def test_a_report_kernel_imports_nothing_of_the_runner():
    """What a notebook imports (its page module and the analyses) leaves nbformat, jsonschema,
    papermill and nbconvert to the runner: 1.7 s of parsers in every kernel otherwise."""
    import subprocess
    import sys

    pages = [p.stem for p in (ROOT / "pages").glob("*.py") if p.stem != "__init__"]
    code = "; ".join(f"import spm_lib.pages.{p}" for p in pages) + (
        "; import sys; print(sorted(m for m in ('nbformat', 'jsonschema', 'papermill', "
        "'nbconvert') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()  # fmt: skip
    assert len(pages) >= 7 and out == "[]", out
