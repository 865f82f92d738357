"""The graph levers one by one, in Python TorchScript (the pinned torch, the same LibTorch the addon
links): which formulation, layout and TorchScript pass gives what, all variants of one model loaded
in one process and timed in interleaved rounds. bench/levers.mjs measures the combination that
ships ("fast") against "official" in lwganet-node itself; this script says where the gain comes from.

    .venv/bin/python bench/graph_levers.py [--model lwganet_l0] [--size 224] [--batch 1]
                                            [--threads 2] [--rounds 3] [--features]

Writes bench/results/graph-levers-<stamp>.json and graph-levers-latest.md.
"""

import argparse
import copy
import json
import statistics
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
from lwganet import create_model, set_formulation  # noqa: E402

# (label, formulations, channels_last, method, optimize_for_inference)
VARIANTS = [
    ("official (shear strips, matmul attention)", dict(mra="shear", attention="matmul"), False, "script", False),
    ("+ fused MRA strips", dict(mra="fused", attention="matmul"), False, "script", False),
    ("+ SDPA attention", dict(mra="fused", attention="sdpa"), False, "script", False),
    ("+ channels-last = fast", dict(mra="fused", attention="sdpa"), True, "script", False),
    ("fast, traced", dict(mra="fused", attention="sdpa"), True, "trace", False),
    ("fast + optimize_for_inference", dict(mra="fused", attention="sdpa"), True, "script", True),
    ("official + channels-last only", dict(mra="shear", attention="matmul"), True, "script", False),
]


def build(base, x, formulations, channels_last, method, optimize):
    model = set_formulation(copy.deepcopy(base), **formulations)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        module = torch.jit.script(model) if method == "script" else torch.jit.trace(model, x, check_trace=False)
        module = torch.jit.freeze(module.eval())
        if optimize:
            module = torch.jit.optimize_for_inference(module)
    return module


def last(y):
    return y if torch.is_tensor(y) else y[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lwganet_l0")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--features", action="store_true", help="the dense backbone instead of the classifier")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    base = create_model(args.model, features_only=args.features).eval()
    x = torch.randn(args.batch, 3, args.size, args.size, generator=torch.Generator().manual_seed(1))
    pixels = args.batch * args.size * args.size
    iterations = max(2, min(30, round(30 * 224 * 224 / pixels)))

    modules = [(label, build(base, x, *rest)) for label, *rest in VARIANTS]
    with torch.inference_mode():
        reference = last(base(x))
        diffs = {}
        for label, module in modules:
            for _ in range(3):
                out = module(x)
            diffs[label] = (last(out) - reference).abs().max().item()
        samples = {label: [] for label, _ in modules}
        for r in range(args.rounds):
            for label, module in (modules if r % 2 == 0 else list(reversed(modules))):
                for _ in range(iterations):
                    start = time.perf_counter()
                    module(x)
                    samples[label].append(time.perf_counter() - start)

    base_ms = statistics.median(samples[VARIANTS[0][0]]) * 1e3
    rows = []
    for label, _ in modules:
        ms = statistics.median(samples[label]) * 1e3
        rows.append({"variant": label, "medianMs": ms, "speedup": base_ms / ms, "maxAbsDiffVsEager": diffs[label]})
    what = f"{args.model}{' features' if args.features else ''} {args.size}² b{args.batch}"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    lines = [f"# Graph levers: {what} ({stamp})", "",
             f"Python TorchScript (torch {torch.__version__}), frozen, {args.threads} threads, {args.rounds} interleaved "
             f"rounds × {iterations} calls; speed-up against the official graph; max |Δ| against the eager official model.", "",
             "| variant | median ms | speed-up | max abs diff |", "|---|---:|---:|---:|"]
    lines += [f"| {r['variant']} | {r['medianMs']:.2f} | {r['speedup']:.2f}× | {r['maxAbsDiffVsEager']:.1e} |" for r in rows]
    markdown = "\n".join(lines) + "\n"
    print(markdown)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"graph-levers-{stamp}.json").write_text(json.dumps({"case": what, "threads": args.threads, "rows": rows}, indent=2))
    (results / "graph-levers-latest.md").write_text(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
