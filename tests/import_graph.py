"""Reading an app's imports from its source (ast), for the layout tests of each app: which project modules
each module imports, wherever the import sits, the cycles among them, and the imports inside functions. From
the source, so a cycle is caught even where Python's import order happens to hide it."""

import ast
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_of(app: str) -> dict[str, Path]:
    """Every module of the app (its migrations aside), by dotted name."""
    return {module_name(path): path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts}


def imported(node: ast.AST, modules: dict[str, Path]) -> list[str]:
    """The modules an import statement loads (`from app.x import y` is app.x.y when that is one of `modules`,
    else app.x)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [
            f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
            for alias in node.names
        ]
    return []


def graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Every import statement of each module, wherever it sits (a function's too): a cycle closed by an import
    inside a function is still a cycle."""
    return {
        name: {
            target
            for node in ast.walk(ast.parse(path.read_text()))
            for target in imported(node, modules)
            if target in modules
        }
        for name, path in modules.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[str]:
    """Every import cycle, once, from its smallest module."""
    found = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for target in sorted(edges[node]):
            if target == start:
                found.append(" -> ".join([*path, target]))
            elif target not in path and target > start:  # each cycle once, from its smallest module
                walk(start, target, [*path, target])

    for name in sorted(edges):
        walk(name, name, [name])
    return found


def imports_inside_functions(
    modules: dict[str, Path], allowed: Callable[[str, list[str]], bool] = lambda module, targets: False
) -> list[str]:
    """`module.function: import ...` for each import inside a function, but those `allowed(module, targets)`."""
    inside = []
    for name, path in sorted(modules.items()):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inside += [
                    f"{name}.{node.name}: {ast.unparse(inner)}"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.Import | ast.ImportFrom) and not allowed(name, imported(inner, modules))
                ]
    return inside
