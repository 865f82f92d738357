"""Where an AOTInductor package (.pt2) spends a forward, and what the compile options change.

Three measurements of one model in one process, the pinned torch (the LibTorch the addon links):
1. a profile of the compiled forward by kind of work (oneDNN convolutions, attention, linear
   layers, Inductor's fused C++ kernels, the runner itself), from a compile with per-kernel
   profiling switched on;
2. each convolution of the model alone, through the prepacked oneDNN call a package without the
   exporter's rewrites makes, grouped by shape (what a forward would cost if the convolutions ran
   back to back);
3. compile variants of the same package timed in interleaved rounds (--variants).
Packages are compiled without the exporter's operators (lwganet::depthwise_conv2d,
lwganet::attention), which only the addon runs natively: bench/pt2-ab.mjs compares packages with
and without them through Node.

    .venv/bin/python bench/pt2_profile.py [--model lwganet_l0] [--size 224] [--batch 1]
        [--threads 2] [--features] [--rounds 8] [--variants base,no-rewrites,autotune,fastmath,mm-noprepack]

Packages are compiled into out/bench/pt2-profile/ (kept, named by a hash of their options, the
torch and the model code: ~1 min each). Writes
bench/results/pt2-profile-<stamp>.json and pt2-profile-latest.md.
"""

import argparse
import functools
import hashlib
import json
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
from lwganet.build import build_model  # noqa: E402
from lwganet.formats.pt2 import CompiledEntry, entry_name, package_entries  # noqa: E402
from lwganet.graph import prepare_graph  # noqa: E402

# Inductor options of each variant on top of the exporter's (freezing), and whether the exporter's
# rewrites of the compiled graph are applied (small 1x1 convolutions as GEMM kernels, DRFD split
# into depthwise halves: formats/small_gemms.py, split_downsampler.py). "base" is what ships.
VARIANTS = {
    "base": ({}, True),
    "no-rewrites": ({}, False),
    "autotune": ({"max_autotune": True, "max_autotune_gemm_backends": "CPP,ATEN"}, False),
    "fastmath": ({"cpp.enable_unsafe_math_opt_flag": True, "cpp.enable_floating_point_contract_flag": "fast"}, True),
    # Every 1x1 convolution as a matrix product (only possible without oneDNN weight prepacking).
    "mm-noprepack": ({"cpp.weight_prepack": False, "conv_1x1_as_mm": True}, False),
}

# Profiler event name → kind of work, first match wins: Inductor's own kernels first (their
# names carry the ops they fuse, e.g. cpp_fused_convolution_0).
KINDS = [
    ("Inductor fused kernels", ("cpp_fused",)),
    ("oneDNN convolutions", ("convolution",)),
    ("attention (SDPA)", ("scaled_dot_product",)),
    ("linear layers", ("linear", "addmm", "_mm")),
    ("tensor bookkeeping (empty, copy, views)", ("aten::",)),
]


def kind_of(name):
    for kind, marks in KINDS:
        if any(m in name for m in marks):
            return kind
    return "the runner itself (AOTIModelContainerRunner)" if "AOTIModelContainerRunner" in name else "other"


@functools.lru_cache(maxsize=None)
def code_hash():
    """The torch and the model and exporter code a compiled package was built from."""
    digest = hashlib.sha256(torch.__version__.encode())
    for source in sorted((ROOT / "python" / "lwganet").rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def compile_package(model, example, stem, options, rewrites=True):
    """The package of `model` for `example` under `options`, compiled unless a package of the same
    options, torch and code is already there."""
    import torch._inductor.config as inductor_config
    built = hashlib.sha256((code_hash() + json.dumps([options, rewrites], sort_keys=True)).encode()).hexdigest()[:10]
    path = stem.with_name(f"{stem.name}-{built}.pt2")
    entry = entry_name(example.shape[0], example.shape[2], example.shape[3])
    if not path.exists():
        # Without the addon's operators: in Python they are eager references (conv2d, SDPA), not
        # the addon's kernels (bench/pt2-ab.mjs times packages with them through Node).
        from unittest import mock
        import lwganet.formats.pt2 as pt2_format
        with (inductor_config.patch(options), mock.patch.object(pt2_format, "small_depthwise_as_op", lambda module: 0),
              mock.patch.object(pt2_format, "small_head_attention_as_op", lambda module: 0)):
            package_entries(model, [CompiledEntry(entry, (example,))], path, "{}", compiled_rewrites=rewrites)
    return torch._C._aoti.AOTIModelPackageLoader(str(path), entry, False, 1, -1)


def profile_forward(loader, x, iterations):
    from torch.profiler import ProfilerActivity, profile
    for _ in range(10):
        loader.run([x])
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(iterations):
            loader.run([x])
    by_kind = defaultdict(lambda: [0.0, 0])
    total = 0.0
    for event in prof.key_averages():
        by_kind[kind_of(event.key)][0] += event.self_cpu_time_total / iterations / 1e3
        by_kind[kind_of(event.key)][1] += event.count // iterations
        total += event.self_cpu_time_total / iterations / 1e3
    return total, sorted(([k, round(ms, 3), n] for k, (ms, n) in by_kind.items()), key=lambda r: -r[1])


def convolutions_alone(model, x, repeats=60):
    """Each Conv2d of the model on its own input shape, prepacked as the package has it."""
    seen = []
    hooks = [m.register_forward_hook(lambda m, i, o: seen.append((m, tuple(i[0].shape))))
             for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    groups = defaultdict(lambda: [0, 0.0])
    with torch.no_grad():
        for conv, shape in seen:
            inp = torch.randn(shape).contiguous(memory_format=torch.channels_last)
            args = (list(conv.padding), list(conv.stride), list(conv.dilation), conv.groups)
            packed = torch.ops.mkldnn._reorder_convolution_weight(conv.weight, *args, list(shape))
            call = lambda: torch.ops.mkldnn._convolution_pointwise(inp, packed, conv.bias, *args, "none", [], "")  # noqa: E731
            for _ in range(10):
                call()
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(repeats // 5):
                    call()
                best = min(best, (time.perf_counter() - t0) / (repeats // 5) * 1e6)
            depthwise = conv.groups == conv.in_channels and conv.groups > 1
            key = (f"{'depthwise' if depthwise else 'grouped' if conv.groups > 1 else 'dense'} "
                   f"{conv.kernel_size[0]}x{conv.kernel_size[1]}/{conv.stride[0]} {conv.in_channels}→{conv.out_channels} "
                   f"at {shape[2]}x{shape[3]}")
            groups[key][0] += 1
            groups[key][1] += best
    rows = sorted(([k, n, round(us, 1), round(us / n, 1)] for k, (n, us) in groups.items()), key=lambda r: -r[2])
    return len(seen), sum(r[2] for r in rows) / 1e3, rows


def time_variants(loaders, x, rounds, iterations):
    times = {name: [] for name in loaders}
    for _ in range(rounds):
        for name, loader in loaders.items():
            for _ in range(3):
                loader.run([x])
            t0 = time.perf_counter()
            for _ in range(iterations):
                loader.run([x])
            times[name].append((time.perf_counter() - t0) / iterations * 1e3)
    return {name: round(statistics.median(t), 3) for name, t in times.items()}


def describe(options, rewrites):
    what = [json.dumps(options)] if options else []
    what.append("the exporter's rewrites" if rewrites else "no rewrites: every convolution through oneDNN")
    return ", ".join(what)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="lwganet_l0")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--features", action="store_true", help="the dense backbone (four feature maps)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=20, help="forwards per round and per profile")
    parser.add_argument("--variants", default="base", help=f"comma list of {', '.join(VARIANTS)}")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {', '.join(unknown)}; variants: {', '.join(VARIANTS)}")
    torch.set_num_threads(args.threads)

    built = build_model(args.model, features_only=args.features, labels=None if args.features else "nwpu-resisc45")
    model = prepare_graph(built.model.float().eval(), "fast")
    x = torch.randn(args.batch, 3, args.size, args.size)
    what = f"{args.model}{' features' if args.features else ''} {args.size}² b{args.batch}, {args.threads} threads"
    out = ROOT / "out" / "bench" / "pt2-profile"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{args.model}{'-features' if args.features else ''}-{args.size}-b{args.batch}"

    profiled = compile_package(model, x, out / f"{stem}-kernel-profile", {"cpp.enable_kernel_profile": True})
    with torch.no_grad():
        total, kinds = profile_forward(profiled, x, args.iterations)
        count, conv_ms, convs = convolutions_alone(model, x.contiguous(memory_format=torch.channels_last))
        loaders = {v: compile_package(model, x, out / f"{stem}-{v}", *VARIANTS[v]) for v in variants}
        medians = time_variants(loaders, x, args.rounds, args.iterations)

    lines = [f"# AOTInductor profile: {what}", "", f"Profiled forward: {total:.2f} ms (profiler overhead included)", "",
             "| kind of work | ms per forward | share | calls per forward |", "|---|---:|---:|---:|"]
    lines += [f"| {k} | {ms:.3f} | {100 * ms / total:.0f} % | {n} |" for k, ms, n in kinds]
    lines += ["", f"Convolutions alone: {count} calls, {conv_ms:.2f} ms back to back (prepacked oneDNN, best of 5)", "",
              "| convolution | count | µs total | µs each |", "|---|---:|---:|---:|"]
    lines += [f"| {k} | {n} | {us} | {each} |" for k, n, us, each in convs[:25]]
    lines += ["", f"Compile variants ({args.rounds} interleaved rounds of {args.iterations} forwards, median ms per forward):", "",
              "| variant | options | ms |", "|---|---|---:|"]
    lines += [f"| {v} | {describe(*VARIANTS[v])} | {medians[v]:.2f} |" for v in variants]
    markdown = "\n".join(lines) + "\n"
    print(markdown)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"pt2-profile-{stamp}.json").write_text(json.dumps(
        {"case": what, "profiled_ms": total, "kinds": kinds, "convolutions": convs, "variants": medians}, indent=2))
    (results / "pt2-profile-latest.md").write_text(markdown)


if __name__ == "__main__":
    main()
