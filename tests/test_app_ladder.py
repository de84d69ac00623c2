"""The product's apps form a one-way ladder (STYLE.md, rule 1): no two apps import each other, directly or
round a circle, and no product module outgrows ~600 lines. Imports are read as text (ast) from every .py file
of every app except migrations and tests, imports inside functions included: a function-level import that
dodges a circle at run time is still a circle to a reader."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
MAX_LINES = 600
# Files allowed past MAX_LINES for now, each with why. Empty this list as they are split; never add to it
# without a reason a reviewer accepts.
LONG_FILES_ALLOWED = {
    "reporting/imports.py": "being split by use case (issue 12)",
}
DEVELOPMENT_APPS = {"devdata"}  # demo data and the benchmark: no product module may import them

Edges = dict[tuple[str, str], set[str]]  # (importing app, imported app) → the files that import


def _apps(root: Path) -> list[str]:
    return sorted({path.parent.name for path in root.glob("*/apps.py")} | {"ipcity"})


def _product_files(root: Path, app: str) -> list[Path]:
    def product(path: Path) -> bool:
        parts = path.relative_to(root).parts
        return "migrations" not in parts and "tests" not in parts and not parts[-1].startswith("test_")

    return [path for path in sorted((root / app).rglob("*.py")) if product(path)]


def _imported_names(path: Path) -> set[str]:
    """The top-level packages a module imports anywhere in its body (relative imports stay inside the app)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _edges(root: Path) -> Edges:
    apps = set(_apps(root))
    edges: Edges = defaultdict(set)
    for app in apps:
        for path in _product_files(root, app):
            for other in (_imported_names(path) & apps) - {app}:
                edges[(app, other)].add(path.relative_to(root).as_posix())
    return edges


def _circles(edges: Edges) -> list[list[str]]:
    """The groups of apps that reach each other (strongly connected components of more than one app)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
        graph[target]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(app: str) -> None:
        index[app] = low[app] = len(index)
        stack.append(app)
        for other in graph[app]:
            if other not in index:
                visit(other)
                low[app] = min(low[app], low[other])
            elif other in stack:
                low[app] = min(low[app], index[other])
        if low[app] == index[app]:
            group = []
            while not group or group[-1] != app:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for app in sorted(graph):
        if app not in index:
            visit(app)
    return found


def _describe(circles: list[list[str]], edges: Edges) -> str:
    lines = []
    for group in circles:
        lines.append("circle: " + " <-> ".join(group))
        for (source, target), files in sorted(edges.items()):
            if source in group and target in group:
                lines.append(f"  {source} -> {target}: {', '.join(sorted(files))}")
    return "\n".join(lines)


def test_the_apps_import_each_other_in_one_direction_only():
    edges = _edges(ROOT)
    assert edges, "the walk found no import between apps at all: it is not reading the project"
    circles = _circles(edges)
    assert not circles, "apps that import each other in a circle:\n" + _describe(circles, edges)


def test_no_product_app_imports_the_development_app():
    edges = _edges(ROOT)
    importers = {file for (_, target), files in edges.items() if target in DEVELOPMENT_APPS for file in files}
    assert not importers, f"product modules importing {sorted(DEVELOPMENT_APPS)}: {sorted(importers)}"


def test_no_product_file_is_longer_than_600_lines_but_the_allowed_ones():
    print(f"allowed past {MAX_LINES} lines for now:")
    for name, why in LONG_FILES_ALLOWED.items():
        print(f"  {name}: {why}")
    long_files = {}
    for app in _apps(ROOT):
        for path in _product_files(ROOT, app):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                long_files[path.relative_to(ROOT).as_posix()] = lines
    for name in sorted(set(LONG_FILES_ALLOWED) - set(long_files)):
        print(f"  {name} is no longer over {MAX_LINES} lines: take it off the list")
    too_long = {name: lines for name, lines in long_files.items() if name not in LONG_FILES_ALLOWED}
    assert not too_long, f"over {MAX_LINES} lines (make each a package by use case): {too_long}"


# The walk itself, on a small project made for it ----------------------------------------------------------


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_walk_finds_a_circle_closed_by_an_import_inside_a_function(tmp_path):
    root = _project(
        tmp_path,
        {
            "plans/apps.py": "",
            "plans/services.py": "def load():\n    from reporting.models import Submission\n",
            "reporting/apps.py": "",
            "reporting/models.py": "from plans.models import Unit\n",
            "reporting/migrations/0002_x.py": "import progress\n",  # migrations are not read
            "progress/apps.py": "",
            "progress/rollup.py": "import reporting.models\nfrom . import sql\n",
        },
    )
    edges = _edges(root)
    assert _circles(edges) == [["plans", "reporting"]]
    report = _describe(_circles(edges), edges)
    assert "plans -> reporting: plans/services.py" in report
    assert "reporting -> plans: reporting/models.py" in report


def test_the_walk_leaves_tests_and_a_one_way_ladder_alone(tmp_path):
    root = _project(
        tmp_path,
        {
            "plans/apps.py": "",
            "plans/tests/test_units.py": "import progress\n",
            "plans/test_models.py": "import progress\n",
            "progress/apps.py": "",
            "progress/rollup.py": "from plans.models import Plan\n",
        },
    )
    assert _circles(_edges(root)) == []
    assert set(_edges(root)) == {("progress", "plans")}
