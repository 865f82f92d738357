"""Writes the pieces bench/detection.mjs times: a seeded orcnn_lwganet_l2 cut at its stage
boundaries (same weights in every piece), one normalised input patch, and the exact candidate
sets the two NMS steps see on that patch.

  full.pt       image -> {boxes, scores, labels}          (the exported detector's graph)
  dense.pt      image -> P2..P6, RPN logits and deltas    (the network)
  proposals.pt  image -> proposals, scores                (network + RPN post-processing)
  nms_aligned.pt / nms_rotated.pt  (boxes, scores, groups) -> keep, the addon's ops alone
  input.f32, nms_{aligned,rotated}.{boxes,scores,groups}.bin, parts.json (shapes, counts)

Usage: python make_parts.py OUT_DIR SIZE
"""

import json
import sys
import warnings
from pathlib import Path
from typing import Dict, List, Tuple

import torch
from torch import Tensor, nn

import lwganet
from lwganet.detection import native_ops

warnings.filterwarnings("ignore")


class Dense(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: Tensor) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
        return self.model.forward_dense(image)


class Proposals(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: Tensor) -> Tuple[Tensor, Tensor]:
        _, cls, reg = self.model.forward_dense(image)
        return self.model.proposals(cls, reg)


class AlignedNms(nn.Module):
    def forward(self, boxes: Tensor, scores: Tensor, groups: Tensor) -> Tensor:
        return torch.ops.lwganet.nms_aligned(boxes, scores, groups, 0.8)


class RotatedNms(nn.Module):
    def forward(self, boxes: Tensor, scores: Tensor, groups: Tensor) -> Tensor:
        return torch.ops.lwganet.nms_rotated(boxes, scores, groups, 0.1)


def record(name: str, store: Dict[str, Tuple[Tensor, Tensor, Tensor]]):
    """Wraps native_ops' reference so the eager run records what each NMS step receives."""
    inner = getattr(native_ops, name)

    def wrapped(boxes, scores, groups, iou):
        store[name] = (boxes.clone(), scores.clone(), groups.clone())
        return inner(boxes, scores, groups, iou)

    setattr(native_ops, name, wrapped)


def main() -> None:
    out, size = Path(sys.argv[1]), int(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = lwganet.create_model("orcnn_lwganet_l2").eval()
    image = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    image.numpy().astype("float32").tofile(out / "input.f32")
    for name, module in (("full", model), ("dense", Dense(model)), ("proposals", Proposals(model)),
                         ("nms_aligned", AlignedNms()), ("nms_rotated", RotatedNms())):
        torch.jit.save(torch.jit.script(module), str(out / f"{name}.pt"))

    seen: Dict[str, Tuple[Tensor, Tensor, Tensor]] = {}
    record("batched_nms_aligned", seen)
    record("batched_nms_rotated", seen)
    with torch.no_grad():
        result = model(image)
    parts = {"size": size, "detections": int(result["scores"].shape[0])}
    for op, key in (("nms_aligned", "batched_nms_aligned"), ("nms_rotated", "batched_nms_rotated")):
        boxes, scores, groups = seen[key]
        boxes.float().numpy().tofile(out / f"{op}.boxes.bin")
        scores.float().numpy().tofile(out / f"{op}.scores.bin")
        groups.numpy().tofile(out / f"{op}.groups.bin")
        parts[op] = {"count": int(scores.shape[0]), "width": int(boxes.shape[1]),
                     "groups": int(groups.unique().numel())}
    (out / "parts.json").write_text(json.dumps(parts, indent=2))
    print(json.dumps(parts))


if __name__ == "__main__":
    main()
