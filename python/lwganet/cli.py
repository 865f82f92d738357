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

from .archive import EXPORT_DTYPES, EXPORT_METHODS
from .backbone import VARIANTS
from .checkpoint import CheckpointError
from .export import export
from .formats import format_names, get_format
from .graph import DEFAULT_GRAPH, GRAPHS
from .labels import list_label_sets
from .metadata import MetadataError
from .registry import get_entry, list_models

__all__ = ["main", "model_info"]


def model_info(name: str, size: int = 224) -> dict:
    """Parameter counts of ``name`` (and, for classifiers, FLOPs at ``size``²), from its family."""
    return get_entry(name).family.info(name, size)


def _print_info(info: dict) -> None:
    v = VARIANTS[info["variant"]]
    print(f"{info['model']}: stem {v.stem_dim}, depths {'/'.join(map(str, v.depths))}, "
          f"{v.act_layer.__name__}, input {info['inputSize']}x{info['inputSize']}")
    paper, ours = info["paper"], info["nwpu45"]
    print(f"  45-class NWPU-RESISC45 (paper table): params {ours['params']:,} (paper {paper['paramsMillions']} M), "
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
    exp.add_argument("--format", choices=format_names(), default="torchscript",
                     help=" or ".join(get_format(name).description for name in format_names()))
    exp.add_argument("--size", action="append",
                     help="onnx: square input side (default 224); pt2: S or HxW to compile, repeatable "
                          "(default: the model's input size, or its default tile for dense models)")
    exp.add_argument("--batch", type=int, action="append", help="pt2 only: batch size to compile, repeatable (default 1)")
    exp.add_argument("--dynamic", action="store_true",
                     help="pt2 only: also compile a dynamic entry (any batch up to 64, sides multiple of 32)")

    info = sub.add_parser("info", help="parameter and FLOP counts")
    info.add_argument("model", choices=list_models())
    info.add_argument("--size", type=int, default=224, help="square input side (default 224)")
    info.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _format_options(fmt, args: argparse.Namespace) -> dict:
    """The CLI's --size/--batch/--dynamic as the format's own options; a switch the format does not
    take is refused rather than silently ignored."""
    options = {}
    if args.size is not None:
        if "sizes" in fmt.options:
            options["sizes"] = args.size
        elif "size" in fmt.options:
            if len(args.size) > 1 or not args.size[0].isdigit():
                raise ValueError(f"--format {fmt.name} takes one square --size S")
            options["size"] = int(args.size[0])
        else:
            raise ValueError("--size applies to --format onnx and pt2 only (TorchScript exports take any size)")
    if args.batch or args.dynamic:
        if "batches" not in fmt.options:
            raise ValueError(f"--batch and --dynamic apply to --format pt2, not --format {fmt.name}")
        if args.batch:
            options["batches"] = args.batch
        options["dynamic"] = args.dynamic
    return options


def _export(args: argparse.Namespace) -> None:
    fmt = get_format(args.format)
    # Switches that mean nothing to the chosen format would be silently ignored: refuse them.
    if not fmt.torchscript_switches and (args.freeze or args.dtype != "float32" or args.method != "script"):
        raise ValueError(f"--freeze, --dtype and --method apply to TorchScript exports, not --format {fmt.name}")
    options = _format_options(fmt, args)
    result = export(args.model, args.out, format=fmt.name, weights=args.weights, labels=args.labels, seed=args.seed,
                    freeze=args.freeze, dtype=args.dtype, method=args.method, features_only=args.features,
                    graph=args.graph, **options)
    print(f"wrote {args.out}: {fmt.summary(result)}")


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "export":
            _export(args)
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
