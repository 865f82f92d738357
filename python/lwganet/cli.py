"""Command line: ``python -m lwganet export …`` (TorchScript, or ONNX with ``--format onnx``) and
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
    exp.add_argument("--format", choices=("torchscript", "onnx"), default="torchscript",
                     help="torchscript (default; what lwganet-node loads) or onnx (for other runtimes)")
    exp.add_argument("--size", type=int, help="onnx only: square input side the graph is exported for (default 224)")

    info = sub.add_parser("info", help="parameter and FLOP counts")
    info.add_argument("model", choices=list_models())
    info.add_argument("--size", type=int, default=224, help="square input side (default 224)")
    info.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _export_onnx(args: argparse.Namespace) -> None:
    # The TorchScript-only switches would be silently meaningless in an ONNX file: refuse them.
    if args.freeze or args.dtype != "float32" or args.method != "script":
        raise ValueError("--freeze, --dtype and --method apply to TorchScript exports, not --format onnx")
    size = 224 if args.size is None else args.size
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
        elif args.command == "export":
            if args.size is not None:
                raise ValueError("--size applies to --format onnx only (TorchScript exports take any size)")
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
