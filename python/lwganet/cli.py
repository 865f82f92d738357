"""Command line: ``python -m lwganet export …`` (TorchScript, ONNX with ``--format onnx``, an
AOTInductor package with ``--format pt2``) and
``python -m lwganet info …``.

Thin by design: parse, call the package API, print. Expected failures (bad arguments,
unreadable or mismatched checkpoints) print one message and exit with status 1.
"""

import argparse
import json
import sys
from typing import List, Optional

from .backbone import VARIANTS
from .checkpoint import CheckpointError
from .complexity import count_flops_all, count_parameters
from .export import EXPORT_DTYPES, EXPORT_METHODS, export_model
from .graph import DEFAULT_GRAPH, GRAPHS
from .labels import list_label_sets
from .metadata import MetadataError
from .models import DEFAULT_CFGS, create_model
from .onnx_export import export_onnx
from .registry import list_models

__all__ = ["main", "model_info"]

PAPER_LABELS = "nwpu-resisc45"


def model_info(name: str, size: int = 224) -> dict:
    """Parameter and FLOP counts of ``name``: the paper's 45-class classifier (ptflops
    convention, spec §14), the 1000-class ImageNet model and the dense backbone."""
    if name not in DEFAULT_CFGS:  # segmentation / change detection / detection: parameter counts only
        from .detection.export import DETECTION_CFGS, detection_info
        from .tasks import dense_info
        return detection_info(name) if name in DETECTION_CFGS else dense_info(name)
    cfg = DEFAULT_CFGS[name]
    paper_model = create_model(name, labels=PAPER_LABELS)
    imagenet_model = create_model(name)
    nwpu = count_flops_all(paper_model, (size, size), ("ptflops", "macs"))
    imagenet = count_flops_all(imagenet_model, (size, size), ("ptflops", "macs"))
    return {
        "model": name, "variant": cfg.variant, "inputSize": size,
        "paper": {"labels": PAPER_LABELS, "params": cfg.paper_params, "gflops": cfg.paper_gflops},
        "nwpu45": {"params": count_parameters(paper_model), "flops": nwpu["ptflops"], "macs": nwpu["macs"]},
        "imagenet1k": {"params": count_parameters(imagenet_model), "flops": imagenet["ptflops"],
                       "macs": imagenet["macs"]},
        "features": {"params": count_parameters(create_model(name, features_only=True))},
    }


def _print_info(info: dict) -> None:
    v = VARIANTS[info["variant"]]
    print(f"{info['model']}: stem {v.stem_dim}, depths {'/'.join(map(str, v.depths))}, "
          f"{v.act_layer.__name__}, input {info['inputSize']}x{info['inputSize']}")
    paper, ours = info["paper"], info["nwpu45"]
    print(f"  45-class NWPU-RESISC45 (paper table): params {ours['params']:,} (paper {paper['params']:,}), "
          f"FLOPs {ours['flops'] / 1e9:.4f} G (paper {paper['gflops']} G; ptflops convention)")
    print(f"  1000-class ImageNet: params {info['imagenet1k']['params']:,}, "
          f"FLOPs {info['imagenet1k']['flops'] / 1e9:.4f} G, MACs {info['imagenet1k']['macs'] / 1e9:.4f} G "
          f"(conv + linear + attention + BlurPool)")
    print(f"  dense backbone (features): params {info['features']['params']:,}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lwganet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    exp = sub.add_parser("export", help="write a TorchScript archive with metadata.json")
    exp.add_argument("model", choices=list_models())
    exp.add_argument("--out", required=True, help="archive to write (.pt)")
    exp.add_argument("--weights", help="checkpoint (.pth); default: seeded random init")
    exp.add_argument("--labels", help=f"label set ({', '.join(list_label_sets())}) or a names file")
    exp.add_argument("--seed", type=int, default=0, help="seed of the random init (default 0)")
    exp.add_argument("--freeze", action="store_true", help="apply torch.jit.freeze")
    exp.add_argument("--dtype", choices=list(EXPORT_DTYPES), default="float32")
    exp.add_argument("--method", choices=EXPORT_METHODS, default="script")
    exp.add_argument("--features", action="store_true", help="export the dense backbone (4 feature maps)")
    exp.add_argument("--graph", choices=GRAPHS, default=DEFAULT_GRAPH,
                     help="fast (default: fused MRA strips, fused attention, channels-last weights) or official "
                          "(the official op sequence, bit-exact with it); same function up to float rounding")
    exp.add_argument("--format", choices=("torchscript", "onnx", "pt2"), default="torchscript",
                     help="torchscript (default), pt2 (AOTInductor package: compiled, one entry per shape; "
                          "lwganet-node loads both) or onnx (for other runtimes)")
    exp.add_argument("--size", action="append",
                     help="onnx: square input side (default 224); pt2: S or HxW to compile, repeatable "
                          "(default: the model's input size, 224 for classifiers)")
    exp.add_argument("--batch", type=int, action="append", help="pt2 only: batch size to compile, repeatable (default 1)")
    exp.add_argument("--dynamic", action="store_true",
                     help="pt2 only: also compile a dynamic entry (any batch up to 64, sides multiple of 32)")

    info = sub.add_parser("info", help="parameter and FLOP counts")
    info.add_argument("model", choices=list_models())
    info.add_argument("--size", type=int, default=224, help="square input side (default 224)")
    info.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _export_pt2(args: argparse.Namespace) -> None:
    from .pt2_export import export_pt2
    if args.freeze or args.dtype != "float32" or args.method != "script":
        raise ValueError("--freeze, --dtype and --method apply to TorchScript exports; a pt2 package is always "
                         "frozen float32")
    sizes = args.size or [str(_default_pt2_size(args.model))]
    meta, entries = export_pt2(args.model, args.out, sizes=sizes, batches=args.batch or [1],
                               features_only=args.features, dynamic=args.dynamic, weights=args.weights,
                               labels=args.labels, seed=args.seed, graph=args.graph)
    what = meta.label_set or "features"
    print(f"wrote {args.out}: {meta.model} {meta.task} ({what}), {meta.weights.source}, AOTInductor package "
          f"for the CPU (torch {meta.export.torch_version}), entries {', '.join(entries)}, {meta.export.graph} graph")


def _default_pt2_size(model: str) -> int:
    if model in DEFAULT_CFGS:
        return DEFAULT_CFGS[model].input_size[0]
    from .tasks import DENSE_CFGS
    if model in DENSE_CFGS:
        return DENSE_CFGS[model].tiling.default_tile_size
    return 1024


def _export_onnx(args: argparse.Namespace) -> None:
    # The TorchScript-only switches would be silently meaningless in an ONNX file: refuse them.
    if args.freeze or args.dtype != "float32" or args.method != "script":
        raise ValueError("--freeze, --dtype and --method apply to TorchScript exports, not --format onnx")
    if args.batch or args.dynamic:
        raise ValueError("--batch and --dynamic apply to --format pt2 (an ONNX export has a dynamic batch)")
    if args.size is not None and (len(args.size) > 1 or not args.size[0].isdigit()):
        raise ValueError("--format onnx takes one square --size S")
    size = 224 if args.size is None else int(args.size[0])
    info = export_onnx(args.model, args.out, weights=args.weights, labels=args.labels, seed=args.seed,
                       features_only=args.features, size=size, graph=args.graph)
    what = info["labelSet"] or "features"
    print(f"wrote {args.out}: {info['model']} {info['task']} ({what}), {info['weights']['source']}, "
          f"onnx opset {info['export']['opset']}, {info['export']['graph']} graph, input [N,3,{size},{size}] float32")


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "export" and args.format == "onnx":
            _export_onnx(args)
        elif args.command == "export" and args.format == "pt2":
            _export_pt2(args)
        elif args.command == "export":
            if args.size is not None or args.batch or args.dynamic:
                raise ValueError("--size, --batch and --dynamic apply to --format onnx/pt2 only "
                                 "(TorchScript exports take any size)")
            meta = export_model(args.model, args.out, weights=args.weights, labels=args.labels, seed=args.seed,
                                freeze=args.freeze, dtype=args.dtype, method=args.method,
                                features_only=args.features, graph=args.graph)
            what = meta.label_set or "features"
            print(f"wrote {args.out}: {meta.model} {meta.task} ({what}), {meta.weights.source}, "
                  f"{meta.export.method}{', frozen' if meta.export.frozen else ''}, {meta.export.dtype}, "
                  f"{meta.export.graph} graph")
        else:
            info = model_info(args.model, args.size)
            if args.json or "task" in info:
                print(json.dumps(info, indent=2))
            else:
                _print_info(info)
    except (ValueError, FileNotFoundError, ImportError, CheckpointError, MetadataError) as err:
        print(f"lwganet: error: {err}", file=sys.stderr)
        return 1
    return 0
