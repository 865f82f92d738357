"""TorchScript archives, the format lwganet-node loads: a standard ``torch.jit.save`` zip with
one extra file, ``metadata.json`` (metadata.py).

Default method ``torch.jit.script``: our modules are written to script, which keeps
size-dependent branches (tiny-map BlurPool padding, the dense models' input padding) correct at
every input size. ``trace`` records one input size's control flow and is recorded in the
metadata when used.
"""

from typing import Any, Tuple

import torch

from ..archive import EXPORT_DTYPES, jit_quiet
from ..graph import prepare_graph
from ..metadata import METADATA_FILE, ModelMetadata
from . import ExportFormat, ExportJob

__all__ = ["FORMAT", "write_torchscript"]


def _outputs(value: Any) -> Tuple[torch.Tensor, ...]:
    if isinstance(value, torch.Tensor):
        return (value,)
    if isinstance(value, dict):
        return tuple(t for v in value.values() for t in _outputs(v))
    return tuple(t for v in value for t in _outputs(v))


def _convert(job: ExportJob, model: torch.nn.Module) -> torch.jit.ScriptModule:
    with jit_quiet():
        if job.method == "script":
            return torch.jit.script(model)
        example = job.example_inputs(EXPORT_DTYPES[job.dtype])
        # torch's own check_trace re-traces and runs the optimising executor (~10 s for L0);
        # one eager-vs-traced comparison on the example is the check that matters here.
        with torch.no_grad(), torch.jit.optimized_execution(False):
            traced = torch.jit.trace(model, example, check_trace=False)
            got, want = _outputs(traced(*example)), _outputs(model(*example))
        if len(got) != len(want) or not all(torch.equal(a, b) for a, b in zip(got, want)):
            raise RuntimeError("the traced graph does not reproduce the eager model; export with method='script'")
        return traced


def write_torchscript(job: ExportJob, out: Any) -> ModelMetadata:
    model = prepare_graph(job.model.to(EXPORT_DTYPES[job.dtype]).eval(), job.graph)
    module = _convert(job, model)
    if job.freeze:
        # freeze only. torch.jit.optimize_for_inference (measured with torch 2.15) bakes MKLDNN
        # constants that cannot be saved and loaded back ("required keyword attribute 'value'
        # is undefined"); the Node runtime applies it after loading instead.
        with jit_quiet():
            module = torch.jit.freeze(module)
    with jit_quiet():
        torch.jit.save(module, str(out), _extra_files={METADATA_FILE: job.metadata.to_json()})
    return job.metadata


def _summary(meta: ModelMetadata) -> str:
    return (f"{meta.model} {meta.task} ({meta.label_set or 'features'}), {meta.weights.source}, "
            f"{meta.export.method}{', frozen' if meta.export.frozen else ''}, {meta.export.dtype}, "
            f"{meta.export.graph} graph")


FORMAT = ExportFormat(name="torchscript", description="torchscript (default; what lwganet-node loads)",
                      write=write_torchscript, summary=_summary)
