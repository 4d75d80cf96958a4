"""The CKAN bridge sits below the open-data write services: nothing it uses imports them back."""

import ast
from pathlib import Path

import opendata

PACKAGE = Path(opendata.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every opendata module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "opendata"}


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts}
    return {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), list(edges[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(edges.get(name, ()))
    return seen


def test_the_write_services_are_not_imported_by_what_they_use():
    edges = graph()
    assert "opendata.ckan.sync" in reachable(edges, "opendata.services")  # the check below means something
    below = reachable(edges, "opendata.services")
    cycles = sorted(name for name in below if "opendata.services" in edges[name])
    assert cycles == [], f"imported by opendata.services and importing it back: {cycles}"


def test_the_ckan_sender_uses_only_lower_modules():
    edges = graph()
    assert not {"opendata.services", "opendata.ckan.services"} & reachable(edges, "opendata.ckan.sync")
    assert "opendata.exports" in edges["opendata.ckan.sync"]
