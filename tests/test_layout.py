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
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("spm_lib")
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
                cycle = stack[stack.index(target) :] + [target]
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


# The top of spm_lib: the stages of a run, the question folders, the shared vocabulary. A new
# analysis goes into the folder of its question; a new top-level name is a decision, made here.
TOP_LEVEL = {
    "dataset",
    "importers",
    "sample",  # data in
    "measures",
    "pipeline",
    "territory",
    "leads",
    "training",
    "forecasting",
    "compensation",
    "planning",
    "rep_performance",  # the questions
    "pages",
    "report",
    "suite",  # words and display, inside a notebook, outside it
    "exceptions",
    "periods",  # the shared vocabulary
}
# the order between question folders: a question imports only those of a lower level
QUESTION_LEVEL = {
    "measures": 0,
    "pipeline": 1,
    "territory": 1,
    "leads": 1,
    "training": 1,
    "forecasting": 2,
    "compensation": 2,
    "planning": 3,
    "rep_performance": 3,
}


def _question(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in QUESTION_LEVEL else None


def test_the_top_of_the_tree_is_the_allowed_list():
    found = {
        p.stem if p.is_file() else p.name
        for p in ROOT.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    assert found == TOP_LEVEL, (sorted(found - TOP_LEVEL), sorted(TOP_LEVEL - found))


def test_questions_import_in_their_order():
    """measures < pipeline, territory, leads, training < forecasting, compensation < planning,
    rep_performance: a question folder imports its own modules and lower levels only."""
    offenders = []
    for module, targets in _edges(_imports()).items():
        mine = _question(module)
        for target in targets:
            theirs = _question(target)
            if (
                mine
                and theirs
                and theirs != mine
                and (QUESTION_LEVEL[theirs] >= QUESTION_LEVEL[mine])
            ):
                offenders.append(f"{module} -> {target}")
    assert not offenders, offenders


def test_stages_point_one_way():
    """The dataset stage imports no analysis, report or suite module; the report layer (inside a
    notebook) imports nothing of the suite (outside); the analyses import no report, page or
    suite module (a report's words and display live in its page module, spm_lib.pages); the
    suite imports no analysis (it reads what the pages and the manifests say)."""
    edges = _edges(_imports())
    analysis = {m for m in edges if _question(m)}
    assert len(analysis) > 30  # the rule below has something to hold
    for module, targets in edges.items():
        if module.startswith("spm_lib.dataset"):
            assert not {
                t
                for t in targets
                if t in analysis
                or t.startswith(("spm_lib.report", "spm_lib.suite", "spm_lib.importers"))
            }, module
        if module.startswith("spm_lib.report"):
            assert not {t for t in targets if t.startswith("spm_lib.suite")}, module
        if module in analysis:
            assert not {
                t
                for t in targets
                if t.startswith(("spm_lib.report", "spm_lib.pages", "spm_lib.suite"))
            }, (module, targets)
        if module.startswith("spm_lib.suite"):
            assert not {t for t in targets if t in analysis}, (module, targets)


def test_the_suite_names_no_report():
    """Adding a report touches its notebook, page, analysis folder, tests and the table of
    reports (spm_lib.pages.REPORTS), nothing in spm_lib/suite."""
    from spm_lib.pages import REPORTS

    named = []
    for path in (ROOT / "suite").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in REPORTS:
                named.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert len(REPORTS) >= 9 and not named, named


def test_old_module_names_still_import_for_analysts():
    """Every old flat name resolves to the same module object at its new home, through
    ``from spm_lib import x``, ``import spm_lib.x`` and ``from spm_lib.x import name``; the
    package faces keep the old modules' names."""
    import importlib

    from spm_lib.forecast import forecast
    from spm_lib.pipeline_review import states_at

    from spm_lib import MOVED, data, leads, metrics, outlook, plots, scorecard

    assert outlook.forecast_run and scorecard.at_risk and plots.set_style and data.load_dataset
    assert metrics.win_rate and leads.funnel and forecast and states_at
    for old, home in MOVED.items():
        module = importlib.import_module(f"spm_lib.{old}")
        assert module is importlib.import_module(home), old
        assert module.__spec__.name == home  # the home module keeps its own spec
    from spm_lib import compensation, forecasting, pipeline, territory

    assert compensation.statements and forecasting.forecast_run and pipeline.next_quarter
    assert territory.optimize_assignment and leads.speed


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
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert len(pages) >= 7 and out == "[]", out


def _readme_tree() -> dict[str, set[str]]:
    """Folder (relative to spm_lib, "" for itself) -> the modules the README's layout tree lists
    in it: a line ``name/`` opens a folder at its indent, ``x.py`` names belong to the nearest
    folder line above with a smaller indent."""
    import re

    readme = (ROOT.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    tree: dict[str, set[str]] = {}
    open_folders: list[tuple[int, str]] = []  # (indent, path)
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        folder = re.match(r"\s*([a-z_]+)/(\s|$)", line)
        while open_folders and open_folders[-1][0] >= indent:
            open_folders.pop()
        if folder:
            parent = open_folders[-1][1] if open_folders else None
            if parent is None and folder[1] != "spm_lib":
                continue  # notebooks/, tests/, ...: beside spm_lib
            path = "" if parent is None else f"{parent}/{folder[1]}".lstrip("/")
            open_folders.append((indent, path))
            tree.setdefault(path, set())
        elif open_folders:
            tree[open_folders[-1][1]] |= set(re.findall(r"\b([a-z_]+)\.py\b", line))
    return tree


def test_the_readme_layout_is_the_tree():
    """The README's layout section lists every folder of spm_lib and every module in it, and
    nothing that is not there."""
    actual = {}
    for init in ROOT.rglob("__init__.py"):
        folder = init.parent.relative_to(ROOT).as_posix()
        actual["" if folder == "." else folder] = {
            p.stem for p in init.parent.glob("*.py") if p.stem != "__init__"
        }
    listed = _readme_tree()
    assert set(listed) == set(actual), (
        sorted(set(actual) - set(listed)),
        sorted(set(listed) - set(actual)),
    )
    stale = {
        f: (sorted(actual[f] - listed[f]), sorted(listed[f] - actual[f]))
        for f in actual
        if actual[f] != listed[f]
    }
    assert not stale, stale


def test_analyses_read_no_files_and_print_nothing():
    """DataFrames in, DataFrames out: a question folder opens no file, prints nothing (the
    forecast history file is the forecasting page's to read and write)."""
    touching = {
        "open",
        "print",
        "read_csv",
        "to_csv",
        "read_parquet",
        "to_parquet",
        "read_text",
        "write_text",
        "read_excel",
        "to_excel",
    }
    offenders = []
    for path in ROOT.rglob("*.py"):
        if not _question(_module_name(path)):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                if name in touching:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert not offenders, offenders


MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def test_modules_and_functions_stay_small():
    """No module of the library, its tests or benchmarks over 500 lines; no function of the
    library over 80 (as ruff format writes them: `make lint` checks the formatting)."""
    big = []
    for folder in (ROOT, ROOT.parent / "tests", ROOT.parent / "benchmarks"):
        for path in folder.rglob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                big.append((str(path.relative_to(ROOT.parent)), lines))
    long = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append((f"{_module_name(path)}.{node.name}", length))
    assert not big and not long, (big, long)


def test_every_report_links_its_method_page():
    """One docs/<report>.md per report of the table, listed in the README, and named by the
    report's own method notes (the last markdown section of its notebook)."""
    import json

    from spm_lib.pages import REPORTS

    readme = (ROOT.parent / "README.md").read_text(encoding="utf-8")
    for name in REPORTS:
        doc = f"docs/{name}.md"
        assert (ROOT.parent / doc).is_file(), doc
        assert f"[{doc}]({doc})" in readme, doc
        notebook = json.loads((ROOT.parent / "notebooks" / f"{name}.ipynb").read_text())
        notes = [
            "".join(c["source"])
            for c in notebook["cells"]
            if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## Method")
        ]
        assert len(notes) == 1 and f"`{doc}`" in notes[0], name
