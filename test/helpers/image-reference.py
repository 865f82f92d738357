"""Independent reference for lib/image preprocessing (torchvision's arithmetic, NumPy only).

geometry CASES_JSON             -> for each [W, H, rule] prints {"resize": [w, h], "box": [left, top, width, height]}
normalize IN OUT W H BOX_JSON INPUT_JSON
                                -> reads W×H×3 uint8 (already resized) from IN, crops BOX,
                                   normalises in float64, writes NCHW float32 to OUT
pil-resize IN OUT W H RW RH     -> PIL bilinear resize of W×H×3 uint8 to RW×RH (for a loose check)
"""
import json
import sys

import numpy as np


def geometry(w, h, rule):
    if rule["mode"] == "resize":
        return [rule["width"], rule["height"]], [0, 0, rule["width"], rule["height"]]
    if rule["mode"] == "none":
        return [w, h], [0, 0, w, h]
    size, crop = rule["shortSide"], rule["crop"]
    # torchvision.transforms.functional._compute_resized_output_size for an int size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    # torchvision.transforms.functional.center_crop
    top = int(round((new_h - crop) / 2.0))
    left = int(round((new_w - crop) / 2.0))
    return [new_w, new_h], [left, top, crop, crop]


def normalize(src, dst, w, h, box, spec):
    img = np.fromfile(src, dtype=np.uint8).reshape(h, w, 3)
    left, top, cw, ch = box
    img = img[top:top + ch, left:left + cw, :]
    if spec["colorOrder"] == "BGR":
        img = img[:, :, ::-1]
    x = img.astype(np.float64) / spec["valueScale"]
    x = (x - np.array(spec["mean"], dtype=np.float64)) / np.array(spec["std"], dtype=np.float64)
    x.transpose(2, 0, 1)[None].astype(np.float32).tofile(dst)


def pil_resize(src, dst, w, h, rw, rh):
    from PIL import Image

    img = Image.fromarray(np.fromfile(src, dtype=np.uint8).reshape(h, w, 3))
    np.asarray(img.resize((rw, rh), Image.BILINEAR)).astype(np.uint8).tofile(dst)


if __name__ == "__main__":
    cmd, *a = sys.argv[1:]
    if cmd == "geometry":
        plans = [geometry(w, h, rule) for w, h, rule in json.loads(a[0])]
        print(json.dumps([{"resize": size, "box": box} for size, box in plans]))
    elif cmd == "normalize":
        normalize(a[0], a[1], int(a[2]), int(a[3]), json.loads(a[4]), json.loads(a[5]))
    elif cmd == "pil-resize":
        pil_resize(a[0], a[1], *map(int, a[2:6]))
    else:
        raise SystemExit(f"unknown command {cmd}")
