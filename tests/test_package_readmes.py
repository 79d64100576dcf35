"""Every package README lists names its code has: each backticked name in an "exposes"
column (and in the training README's "Exposed Interfaces") imports from the module the row
names, so a rename that forgets the README fails here."""

import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "alphatriangle"
READMES = sorted(PACKAGE.glob("*/README.md"))
NAME = re.compile(r"^(\.?)([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(\(|/|$)")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _modules(package: str, first_cell: str) -> list[ModuleType]:
    """The modules a table row is about: its `x.py` files, else the package itself."""
    files = re.findall(r"`([\w/]+)\.py`", first_cell)
    names = [f"{package}.{file.replace('/', '.')}" for file in files] or [package]
    return [importlib.import_module(name) for name in names]


def _resolve(token: str, modules: list[ModuleType], owners: list[object]) -> bool:
    """Whether `token` (`Name`, `Name(args)`, `Class.attr`, `.attr`, `Class.a/b`) exists:
    in one of the modules, or (a leading dot, or an alternative after `/`) on an owner."""
    found = NAME.match(token)
    if found is None:
        return True
    dotted, path, rest = found.group(1), found.group(2), token[found.end(2) :]
    roots: list[object] = owners if dotted else [*modules, *owners]
    for root in roots:
        parent, target = root, root
        for part in path.split("."):
            parent, target = target, getattr(target, part, None)
            if target is None:
                break
        if target is None:
            continue
        if isinstance(target, type):
            owners.append(target)
        alternatives = rest.split("(")[0].lstrip("/").split("/") if rest.startswith("/") else []
        return all(hasattr(parent, name) for name in alternatives if name)
    return False


def _exposed_names(readme: Path) -> list[tuple[str, list[ModuleType], list[object]]]:
    package = f"alphatriangle.{readme.parent.name}"
    rows: list[tuple[str, list[ModuleType], list[object]]] = []
    column = None
    for line in readme.read_text().splitlines():
        if not line.startswith("|"):
            column = None
            continue
        cells = _cells(line)
        if column is None:
            column = cells.index("exposes") if "exposes" in cells else -1
            continue
        if column < 0 or set(cells[0]) <= {"-", " "}:
            continue
        modules = _modules(package, cells[0])
        owners: list[object] = []
        rows += [(t, modules, owners) for t in re.findall(r"`([^`]+)`", cells[column])]
    if "## Exposed Interfaces" in readme.read_text():
        section = readme.read_text().split("## Exposed Interfaces")[1].split("\n## ")[0]
        module = [importlib.import_module(package)]
        for item in re.findall(r"`([^`]+)`", section):
            rows.append((item, module, []))
    return rows


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.parent.name)
def test_readme_names_exist_in_the_code(readme: Path) -> None:
    rows = _exposed_names(readme)
    missing = [token for token, modules, owners in rows if not _resolve(token, modules, owners)]
    assert rows, f"{readme} lists no exposed names"
    assert missing == []
