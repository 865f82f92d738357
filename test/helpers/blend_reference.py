"""Independent reference for tiled dense inference with blending (NumPy, float64).

Usage: blend_reference.py JOB.json, where JOB.json is {"model": path, "mean": [3], "std": [3],
"cases": [{"input": raw RGB path, "width", "height", "tile", "overlap", "output": path}]}
(one process for every case: importing torch dominates the run time).

Runs the TorchScript model on each tile of the documented grid and blends the tile outputs
as the package documents it (lib/image/tiling.ts), written here from that description only:
- tile starts along an axis of length L: 0, s, 2s, ... (s = tile - overlap) while start + tile
  < L, then a last tile ending at the edge (L - tile) unless the previous start is already it;
- each tile's 1-D weight along an axis is 1, except over `overlap` pixels at each end that has
  a neighbouring tile, where it is the raised cosine 0.5 - 0.5 cos(pi (i + 0.5) / overlap)
  (i = distance from that end; the smaller of the two ramps where they meet);
- a tile's 2-D weight at row j, column i is wy[j] * wx[i]; the result is
  sum(weight * output) / sum(weight) per pixel.
Writes each case's blended maps as float32 (C, H, W) to its output path. The image must be at least one tile
in each direction (no padding).
"""

import json
import sys

import numpy as np
import torch


def starts(length: int, tile: int, overlap: int):
    if length <= tile:
        return [0]
    out = list(range(0, length - tile, tile - overlap))
    if out[-1] != length - tile:
        out.append(length - tile)
    return out


def ramp(tile: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    w = np.ones(tile)
    if overlap == 0:
        return w
    v = 0.5 - 0.5 * np.cos(np.pi * (np.arange(overlap) + 0.5) / overlap)
    if at_start:
        w[:overlap] = np.minimum(w[:overlap], v)
    if at_end:
        w[tile - overlap:] = np.minimum(w[tile - overlap:], v[::-1])
    return w


def blend(model, mean, std, raw_path, width, height, tile, overlap, out_path) -> None:
    rgb = np.fromfile(raw_path, dtype=np.uint8).reshape(height, width, 3).astype(np.float64)
    x = ((rgb / 255 - mean) / std).transpose(2, 0, 1).astype(np.float32)
    xs, ys = starts(width, tile, overlap), starts(height, tile, overlap)
    acc = None
    wsum = np.zeros((height, width))
    for r, y0 in enumerate(ys):
        wy = ramp(tile, overlap, r > 0, r < len(ys) - 1)
        for c, x0 in enumerate(xs):
            wx = ramp(tile, overlap, c > 0, c < len(xs) - 1)
            with torch.no_grad():
                out = model(torch.from_numpy(np.ascontiguousarray(x[None, :, y0:y0 + tile, x0:x0 + tile])))
            out = out.numpy()[0].astype(np.float64)
            if acc is None:
                acc = np.zeros((out.shape[0], height, width))
            w2 = wy[:, None] * wx[None, :]
            acc[:, y0:y0 + tile, x0:x0 + tile] += out * w2
            wsum[y0:y0 + tile, x0:x0 + tile] += w2
    (acc / wsum).astype(np.float32).tofile(out_path)


def main() -> None:
    with open(sys.argv[1]) as f:
        job = json.load(f)
    model = torch.jit.load(job["model"]).eval()
    mean, std = np.array(job["mean"]), np.array(job["std"])
    for case in job["cases"]:
        blend(model, mean, std, case["input"], case["width"], case["height"], case["tile"], case["overlap"], case["output"])


if __name__ == "__main__":
    main()
