"""The package's shape: no import cycles, shared export helpers free of task code, every family
laid out alike, every format reachable from the one table."""

import ast
from pathlib import Path

import pytest

import lwganet
from lwganet.formats import format_names, get_format
from lwganet.registry import BUILTIN_FAMILIES, get_entry, list_models

PACKAGE = Path(lwganet.__file__).resolve().parent
FAMILY_PACKAGES = ("classification", "segmentation", "change_detection", "detection")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict:
    """module → the lwganet modules it imports (anywhere in the file, lazy imports included)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    deps.add(target if target in modules else base)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in modules and d != name and not name.startswith(d + ".")}
    return graph


def test_no_import_cycles():
    graph = _imports()
    state: dict = {}

    def visit(node, stack):
        state[node] = "open"
        for dep in graph[node]:
            if state.get(dep) == "open":
                pytest.fail("import cycle: " + " → ".join(stack[stack.index(dep):] + [dep]))
            if dep not in state:
                visit(dep, stack + [dep])
        state[node] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_shared_export_helpers_import_nothing_task_specific():
    allowed = {"lwganet.checkpoint", "lwganet.metadata", "lwganet.version"}
    assert _imports()["lwganet.archive"] <= allowed


@pytest.mark.parametrize("family", FAMILY_PACKAGES)
def test_every_family_has_the_same_modules(family):
    for module in ("__init__", "config", "labels", "family"):
        assert (PACKAGE / family / f"{module}.py").is_file(), f"{family}/{module}.py"


def test_every_registered_model_belongs_to_a_builtin_family():
    names = {name for family in BUILTIN_FAMILIES for name in family.cfgs}
    assert names == set(list_models())
    assert {get_entry(name).family.name for name in names} == {f.name for f in BUILTIN_FAMILIES}


def test_every_format_in_the_table_loads_and_unknown_ones_are_named():
    for name in format_names():
        assert get_format(name).name == name
    with pytest.raises(ValueError, match=r"format must be one of \('torchscript', 'onnx'"):
        lwganet.export("lwganet_l0", "x.pt", format="tflite")
