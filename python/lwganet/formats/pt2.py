"""AOTInductor packages (``.pt2``): a model compiled ahead of time to C++ kernels, one compiled
entry per input shape, which LibTorch runs without Python (``AOTIModelPackageLoader``).

Why: TorchScript's executor runs LWGANet as hundreds of small ops; AOTInductor fuses the
elementwise ones and, with ``torch._inductor.config.freezing``, folds batch norms into
convolutions and packs their weights once for oneDNN. Static shapes are the fast path (a dynamic
entry measured ~50% slower at batch 1), so every requested (batch, size) pair gets its own entry.

Package layout (a PT2 archive, i.e. a zip written by ``package_pt2``):

- ``data/aotinductor/<entry>/…``: one compiled model per entry; ``<entry>`` is
  ``b{batch}_{height}x{width}`` for a static shape and ``dynamic`` for the optional dynamic one.
- ``extra/metadata.json``: the same metadata every lwganet export carries (metadata.py), with
  ``export.method = "aoti"``; LibTorch's zip reader gives it to the Node addon.
- each entry's AOTInductor metadata (the string map ``AOTIModelPackageLoader::get_metadata`` and
  ``load_metadata_from_package`` return, readable without loading the entry's code) carries
  what a loader needs before running anything:

  - ``lwganet.torchVersion``: the torch that compiled it (a package runs only on that LibTorch);
  - ``lwganet.inputs``: the forward's input names, comma-separated;
  - ``lwganet.shapes``: a static entry's input shapes, ``1x3x224x224`` each, ``;``-separated;
  - ``lwganet.dynamic``: a dynamic entry's ranges, ``batchMin-batchMax,hMin-hMax,wMin-wMax,multiple``
    (channels as in ``lwganet.shapes``, which then holds the example shapes);
  - ``lwganet.gemmConvs``, ``lwganet.splitDownsamplers``, ``lwganet.depthwiseOps``,
    ``lwganet.attentionOps``: in a static entry of the "fast" graph, how many 1x1 convolutions
    were compiled as GEMM kernels (small_gemms.py), how many downsamplers were split
    (split_downsampler.py), how many depthwise convolutions and attention calls call the addon's
    operators (small_depthwise.py, small_head_attention.py).

The detector is not compiled: its suppression ops (torch.ops.lwganet.nms_*) return a
data-dependent number of boxes and have no shape (fake) kernels, so torch.export cannot trace
them; detectors stay TorchScript.
"""

import copy
import json
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from ..backbone import MIN_INPUT_SIZE
from ..graph import prepare_graph
from ..metadata import METADATA_FILE, FixedSize, ModelMetadata
from . import ExportFormat, ExportJob
from .small_depthwise import small_depthwise_as_op
from .small_head_attention import small_head_attention_as_op
from .small_gemms import GEMM_INDUCTOR_OPTIONS, activation_products, small_convs_as_gemms
from .split_downsampler import split_downsamplers

__all__ = ["FORMAT", "write_pt2", "package_entries", "CompiledEntry", "PT2_METHOD", "DYNAMIC_ENTRY", "SIZE_MULTIPLE"]

PT2_METHOD = "aoti"
DYNAMIC_ENTRY = "dynamic"
# Every LWGANet input side is padded to a multiple of 32 inside the model; a dynamic entry takes
# sides that already are, so its guards hold for every accepted size.
SIZE_MULTIPLE = 32
DYNAMIC_MAX_BATCH = 64
DYNAMIC_MAX_SIDE = 4096


@dataclass
class CompiledEntry:
    """One compiled model of a package: its name, its example inputs and, for the dynamic
    entry, the ranges of batch and spatial sides it accepts."""

    name: str
    example: Tuple[torch.Tensor, ...]
    dynamic: Optional[Dict[str, object]] = None


def entry_name(batch: int, height: int, width: int) -> str:
    return f"b{batch}_{height}x{width}"


@contextmanager
def _compile_quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _dynamic_shapes(inputs: int, min_side: int) -> Tuple[Tuple[dict, ...], Dict[str, object]]:
    batch = torch.export.Dim("N", min=1, max=DYNAMIC_MAX_BATCH)
    lo = max(1, -(-min_side // SIZE_MULTIPLE))
    hi = DYNAMIC_MAX_SIDE // SIZE_MULTIPLE
    h = torch.export.Dim("h", min=lo, max=hi)
    w = torch.export.Dim("w", min=lo, max=hi)
    spec = {0: batch, 2: SIZE_MULTIPLE * h, 3: SIZE_MULTIPLE * w}
    ranges = f"1-{DYNAMIC_MAX_BATCH},{lo * SIZE_MULTIPLE}-{hi * SIZE_MULTIPLE},{lo * SIZE_MULTIPLE}-{hi * SIZE_MULTIPLE},{SIZE_MULTIPLE}"
    return tuple(spec for _ in range(inputs)), ranges


def _input_names(program: "torch.export.ExportedProgram") -> List[str]:
    from torch.export.graph_signature import InputKind
    return [spec.arg.name for spec in program.graph_signature.input_specs if spec.kind == InputKind.USER_INPUT]


def package_entries(model: nn.Module, entries: Sequence[CompiledEntry], out: Union[str, os.PathLike],
                    metadata_json: str, compiled_rewrites: bool = False) -> Dict[str, object]:
    """Compiles ``model`` once per entry (torch.export, then AOTInductor with freezing) and writes
    one package holding them all plus ``extra/metadata.json``. Returns what was written per entry
    (name → its AOTInductor metadata). Works for any module taking tensors (test fixtures use it
    on tiny models). With ``compiled_rewrites``, what oneDNN runs slowly at a static entry's shape is
    rewritten in a copy of ``model`` first: LWGANet's downsamplers on large maps split into
    depthwise halves (split_downsampler.py), the small 1x1 convolutions as GEMM kernels
    (small_gemms.py), the small depthwise convolutions and the attention with small heads as
    the addon's operators (small_depthwise.py, small_head_attention.py; such a package runs where
    the addon, or depthwise_op.py and attention_op.py, registered them).
    The dynamic entry compiles ``model`` as it is."""
    from torch.export.pt2_archive._package import package_pt2
    import torch._inductor.config as inductor_config

    out = Path(out)
    if out.suffix != ".pt2":
        raise ValueError(f"an AOTInductor package is written to a .pt2 file, got {out.name!r}")
    if not entries:
        raise ValueError("at least one shape to compile")
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise ValueError(f"each shape is compiled once, got {names}")
    model = model.eval()
    files: Dict[str, list] = {}
    described: Dict[str, Dict[str, str]] = {}
    work = Path(tempfile.mkdtemp(prefix="lwganet-pt2-"))
    try:
        with torch.no_grad(), _compile_quiet(), inductor_config.patch(freezing=True):
            for entry in entries:
                shapes = None
                info = {"lwganet.torchVersion": torch.__version__.split("+")[0],
                        "lwganet.shapes": ";".join("x".join(map(str, x.shape)) for x in entry.example)}
                if entry.dynamic is not None:
                    shapes, info["lwganet.dynamic"] = _dynamic_shapes(len(entry.example), int(entry.dynamic["min_side"]))
                gemms = 0
                if compiled_rewrites and entry.dynamic is None:
                    split = copy.deepcopy(model)
                    info["lwganet.splitDownsamplers"] = str(split_downsamplers(split, entry.example))
                    to_export, gemms = small_convs_as_gemms(split, entry.example)
                    program = torch.export.export(to_export, entry.example)
                    if gemms and activation_products(program):  # see GEMM_INDUCTOR_OPTIONS
                        gemms = 0
                        program = torch.export.export(split, entry.example)
                    info["lwganet.gemmConvs"] = str(gemms)
                    module = program.module()
                    info["lwganet.depthwiseOps"] = str(small_depthwise_as_op(module))
                    info["lwganet.attentionOps"] = str(small_head_attention_as_op(module))
                else:
                    program = torch.export.export(model, entry.example, dynamic_shapes=shapes)
                    module = program.module()
                info["lwganet.inputs"] = ",".join(_input_names(program))
                options = {"aot_inductor.package": True, "aot_inductor.metadata": info,
                           "aot_inductor.output_path": str(work / entry.name),
                           **(GEMM_INDUCTOR_OPTIONS if gemms else {})}
                (work / entry.name).mkdir()
                files[entry.name] = torch._inductor.aot_compile(module, entry.example, options=options)
                described[entry.name] = info
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}.pt2")
        package_pt2(str(tmp), aoti_files=files, extra_files={METADATA_FILE: metadata_json})
        os.replace(tmp, out)  # never a half-written package under the final name
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return described


def _parse_size(size: Union[int, str, Tuple[int, int]]) -> Tuple[int, int]:
    if isinstance(size, tuple):
        height, width = size
    elif isinstance(size, int) and not isinstance(size, bool):
        height = width = size
    elif isinstance(size, str):
        parts = size.lower().split("x")
        if len(parts) not in (1, 2) or not all(p.isdigit() for p in parts):
            raise ValueError(f"size must be S or HxW (integers), got {size!r}")
        height, width = int(parts[0]), int(parts[-1])
    else:
        raise ValueError(f"size must be S or HxW, got {size!r}")
    return height, width


def _check(options: Mapping[str, Any]) -> None:
    """Refuses bad sizes and batches before anything is built or compiled."""
    batches = options["batches"]
    if (not isinstance(batches, (list, tuple)) or not batches
            or any(isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= 1024 for b in batches)):
        raise ValueError(f"batch sizes must be integers from 1 to 1024, got {batches}")
    if options["sizes"] is not None:
        for size in options["sizes"]:
            _parse_size(size)


def _default_size(meta: ModelMetadata) -> Tuple[int, int]:
    """The classifier's input size, the dense model's default tile, else the 224 of the paper."""
    if isinstance(meta.input.size, FixedSize):
        return meta.input.size.height, meta.input.size.width
    if meta.tiling is not None:
        return meta.tiling.default_tile_size, meta.tiling.default_tile_size
    return 224, 224


def _min_side(meta: ModelMetadata) -> int:
    size = meta.input.size
    return min(size.height, size.width) if isinstance(size, FixedSize) else max(MIN_INPUT_SIZE, size.min_height)


def write_pt2(job: ExportJob, out: Union[str, os.PathLike]) -> Tuple[ModelMetadata, Dict[str, Dict[str, str]]]:
    """Writes ``out`` (.pt2): one entry per (batch, size) pair, plus a dynamic entry if asked.

    Same weights as the TorchScript and ONNX exports for the same seed or checkpoint. Dense
    models (segmentation, change detection) run on fixed tiles: their metadata's default tile
    size becomes the first compiled size, so segment()/detectChanges() pick a compiled shape.
    Returns (metadata, entry name → its AOTInductor metadata).
    """
    meta, seed = job.metadata, job.seed
    # A package is always a frozen float32 compile, whatever the TorchScript defaults said.
    meta.export = replace(meta.export, method=PT2_METHOD, frozen=True, dtype="float32")
    batches = list(dict.fromkeys(job.options["batches"]))
    sizes = job.options["sizes"]
    parsed = list(dict.fromkeys(_parse_size(s) for s in sizes)) if sizes else [_default_size(meta)]
    min_side = _min_side(meta)
    inputs = len(job.example_inputs(torch.float32))
    for height, width in parsed:
        if min(height, width) < min_side:
            raise ValueError(f"{job.name} takes inputs of at least {min_side}x{min_side}, got {height}x{width}")
        if isinstance(meta.input.size, FixedSize) and (height, width) != (meta.input.size.height, meta.input.size.width):
            fixed = meta.input.size
            raise ValueError(f"{job.name} classifies {fixed.height}x{fixed.width} inputs (its metadata's "
                             f"input size), got {height}x{width}")
    if meta.tiling is not None:
        height, width = parsed[0]
        if height != width:
            raise ValueError(f"{job.name} runs on square tiles: give --size S, got {height}x{width}")
        # A fresh TilingSpec: the one in metadata may be the model's shared default.
        meta.tiling = replace(meta.tiling, default_tile_size=height,
                              min_tile_size=min(meta.tiling.min_tile_size, height),
                              default_overlap=min(meta.tiling.default_overlap, height // 4))
    model = prepare_graph(job.model.float().eval(), job.graph)

    generator = torch.Generator().manual_seed(seed)
    entries = []
    for height, width in parsed:
        for batch in batches:
            example = tuple(torch.randn(batch, 3, height, width, generator=generator) for _ in range(inputs))
            entries.append(CompiledEntry(entry_name(batch, height, width), example))
    if job.options["dynamic"]:
        height, width = parsed[0]
        # Batch 2 in the example: torch.export specialises a dimension of size 1 to a constant.
        example = tuple(torch.randn(2, 3, height, width, generator=generator) for _ in range(inputs))
        entries.append(CompiledEntry(DYNAMIC_ENTRY, example, dynamic={"min_side": min_side}))
    meta.validate()
    # The rewrites are "fast" graph levers: "official" keeps the official op sequence.
    description = package_entries(model, entries, out, meta.to_json(), compiled_rewrites=job.graph == "fast")
    return meta, description


def _summary(result: Tuple[ModelMetadata, Dict[str, Dict[str, str]]]) -> str:
    meta, entries = result
    return (f"{meta.model} {meta.task} ({meta.label_set or 'features'}), {meta.weights.source}, AOTInductor package "
            f"for the CPU (torch {meta.export.torch_version}), entries {', '.join(entries)}, {meta.export.graph} graph")


# The detector is left out: its suppression ops return a data-dependent number of boxes and have
# no shape kernels, so torch.export cannot trace them (detectors stay TorchScript).
FORMAT = ExportFormat(name="pt2",
                      description="pt2 (AOTInductor package: compiled, one entry per shape; lwganet-node loads it)",
                      write=write_pt2, summary=_summary,
                      tasks=("classification", "features", "segmentation", "change-detection"),
                      torchscript_switches=False, options={"sizes": None, "batches": (1,), "dynamic": False},
                      check=_check,
                      refusal="a detector's suppression ops (torch.ops.lwganet.nms_*) return a data-dependent "
                              "number of boxes that torch.export cannot trace; export detectors as TorchScript "
                              "(--format torchscript)")
