"""Mutation testing of python/lwganet/backbone.py (a small AST mutator; no extra dependency).

Usage (from the repository root, with the project venv):
  .venv/bin/python scripts/mutate_backbone.py [--json OUT.json] [--every N] [--pytest]

Each mutant is one small change to the code inside a function of backbone.py: an arithmetic or
comparison operator swapped, one operand of a '+' dropped (a lost residual), an integer constant
off by one, a boolean flipped, a single-argument call replaced by its argument (a layer
skipped), or two nested layer calls swapped (norm/activation order). A mutant is killed when the
official-model golden checks (python/tests/test_official_golden.py: classifier with per-stage
summaries and dense features, "official" and "fast" graphs, at 256x256) fail or raise;
with --pytest the survivors are then run against the model test files with pytest.
--every N keeps every N-th mutant (a quick sample). Prints a table and writes a JSON summary
({killed, survived, score, files: {backbone.py: ...}, survivors: [...]}).
"""

import argparse
import ast
import copy
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Every mutant is written to the same path: a cached .pyc is trusted when the source's size and
# mtime (whole seconds) match, so a same-sized mutant written within a second of the last one
# would run the last one's bytecode. No bytecode is written, here or in the pytest runs.
sys.dont_write_bytecode = True

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "lwganet"
TARGET = "backbone.py"
PYTEST_FILES = ["tests/test_models.py", "tests/test_graph.py", "tests/test_layers.py", "tests/test_manifests.py"]

SWAP_OPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div}
SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def _single_arg_call(node):
    return (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords
            and isinstance(node.func, ast.Attribute) and not isinstance(node.args[0], ast.Starred))


def _in_function_bodies(tree):
    """Nodes inside the methods of the model's classes (not docstrings, not module-level
    constants or helper functions such as feature_sizes/set_formulation, which the model's
    forward never runs: their own tests are in tests/test_models.py)."""
    methods = [fn for cls in tree.body if isinstance(cls, ast.ClassDef) for fn in ast.walk(cls)]
    for fn in methods:
        if isinstance(fn, ast.FunctionDef):
            body = fn.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            for stmt in body:
                yield from ast.walk(stmt)


def mutations(tree):
    """(node index in ast.walk order, kind, description) for every mutation point."""
    index = {id(n): i for i, n in enumerate(ast.walk(tree))}
    seen = set()
    out = []
    for node in _in_function_bodies(tree):
        if id(node) in seen:
            continue
        seen.add(id(node))
        i = index[id(node)]
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.BinOp) and type(node.op) in SWAP_OPS:
            out.append((i, "binop", f"L{line}: {type(node.op).__name__} -> {SWAP_OPS[type(node.op)].__name__}"))
            if isinstance(node.op, ast.Add):
                out.append((i, "drop_right", f"L{line}: a + b -> a"))
                out.append((i, "drop_left", f"L{line}: a + b -> b"))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAP_CMP:
            out.append((i, "compare", f"L{line}: {type(node.ops[0]).__name__} -> {SWAP_CMP[type(node.ops[0])].__name__}"))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            out.append((i, "int", f"L{line}: {node.value} -> {node.value + 1}"))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            out.append((i, "bool", f"L{line}: {node.value} -> {not node.value}"))
        elif _single_arg_call(node):
            name = ast.unparse(node.func)
            out.append((i, "unwrap", f"L{line}: {name}(x) -> x"))
            if _single_arg_call(node.args[0]):
                out.append((i, "swap_calls", f"L{line}: {name}({ast.unparse(node.args[0].func)}(x)) swapped"))
    return out


def apply(tree, i, kind):
    tree = copy.deepcopy(tree)
    node = list(ast.walk(tree))[i]
    parent_of = {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}

    def replace(new):
        parent = parent_of[id(node)]
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(v is node for v in value):
                setattr(parent, field, [new if v is node else v for v in value])
                return
        raise RuntimeError("parent link not found")

    if kind == "binop":
        node.op = SWAP_OPS[type(node.op)]()
    elif kind == "drop_right":
        replace(node.left)
    elif kind == "drop_left":
        replace(node.right)
    elif kind == "compare":
        node.ops = [SWAP_CMP[type(node.ops[0])]()]
    elif kind == "int":
        node.value += 1
    elif kind == "bool":
        node.value = not node.value
    elif kind == "unwrap":
        replace(node.args[0])
    elif kind == "swap_calls":
        inner = node.args[0]
        node.func, inner.func = inner.func, node.func
    return ast.fix_missing_locations(tree)


def golden_checks(package_root: Path) -> None:
    """Raises unless the mutated package reproduces the official goldens (imports it afresh)."""
    for name in [m for m in sys.modules if m == "lwganet" or m.startswith("lwganet.") or m == "test_official_golden"]:
        del sys.modules[name]
    sys.path.insert(0, str(package_root))
    try:
        golden = importlib.import_module("test_official_golden")
        from lwganet.build import create_model
        import torch
        shape = [1, 3, 256, 256]
        classifier = golden.golden_fill_(create_model("lwganet_l0"))
        for graph, channels_last in (("official", False), ("fast", True)):
            golden.test_classifier_logits_and_stages_match_the_official_code(
                classifier.to(memory_format=torch.contiguous_format), graph, channels_last, shape)
        features = golden.golden_fill_(create_model("lwganet_l0", features_only=True))
        golden.test_dense_features_match_the_official_code(features, "official", False, shape)
    finally:
        sys.path.remove(str(package_root))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--pytest", action="store_true")
    args = parser.parse_args()
    source = (PACKAGE / TARGET).read_text()
    tree = ast.parse(source)
    points = mutations(tree)[:: args.every]
    work = Path(tempfile.mkdtemp(prefix="lwganet-mutants-"))
    shutil.copytree(PACKAGE, work / "lwganet")
    shutil.copy(ROOT / "python" / "tests" / "test_official_golden.py", work / "test_official_golden.py")
    # The golden data is found next to the test module.
    shutil.copytree(ROOT / "python" / "tests" / "data" / "golden", work / "data" / "golden")
    import torch
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    golden_checks(work)  # the unmutated code must pass, or every mutant would look killed
    killed, survivors = 0, []
    t0 = time.perf_counter()
    try:
        for n, (i, kind, what) in enumerate(points, 1):
            (work / "lwganet" / TARGET).write_text(ast.unparse(apply(tree, i, kind)))
            try:
                golden_checks(work)
                survivors.append((i, kind, what))
                status = "SURVIVED"
            except Exception:  # noqa: BLE001 - any failure or error kills the mutant
                killed += 1
                status = "killed"
            print(f"[{n}/{len(points)}] {status:8} {what}", flush=True)
        if args.pytest and survivors:
            still = []
            for i, kind, what in survivors:
                (work / "lwganet" / TARGET).write_text(ast.unparse(apply(tree, i, kind)))
                # pyproject.toml's pythonpath puts python/ (the unmutated package) first on
                # sys.path, ahead of PYTHONPATH: the override makes the tests import the mutant.
                run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                                      "-o", f"pythonpath={work}", *PYTEST_FILES],
                                     cwd=ROOT / "python", capture_output=True, text=True,
                                     env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
                if run.returncode == 0:
                    still.append((i, kind, what))
                else:
                    killed += 1
                print(f"pytest {'SURVIVED' if run.returncode == 0 else 'killed'} {what}", flush=True)
            survivors = still
    finally:
        shutil.rmtree(work, ignore_errors=True)
    survivors = [what for _, _, what in survivors]
    total = killed + len(survivors)
    score = round(100 * killed / total, 2) if total else None
    summary = {"killed": killed, "timeout": 0, "survived": len(survivors), "noCoverage": 0, "score": score,
               "files": {f"python/lwganet/{TARGET}": {"killed": killed, "timeout": 0, "survived": len(survivors),
                                                      "noCoverage": 0, "score": score}},
               "survivors": survivors, "sampledEvery": args.every, "seconds": round(time.perf_counter() - t0)}
    print(f"backbone.py: {killed} killed, {len(survivors)} survived of {total} mutants: score {score}%")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
