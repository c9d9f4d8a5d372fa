"""The package's public surface is pinned: a new export is a decision, not an accident."""

import ast
from pathlib import Path

import moderation

PACKAGE = Path(moderation.__file__).parent


def test_public_names_are_pinned() -> None:
    assert moderation.__all__ == ["cases", "reports", "restrictions", "signals", "trust"]


def test_no_module_imports_the_backend_or_a_framework() -> None:
    forbidden = ("backend", "fastapi", "sqlmodel", "sqlalchemy", "starlette", "websockets")
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"
