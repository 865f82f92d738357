"""mmrotate's own DOTA code as the reference for the package's DOTA files.

mmrotate 0.3.4 is installed without its dependencies (setup.sh: pip install --no-deps): importing
it pulls mmcv and mmdet, so this script runs the source of mmrotate/datasets/dota.py and
mmrotate/core/bbox/transforms.py itself, with those imports replaced by small stand-ins. The
parsing under test is mmrotate's, unchanged: DOTADataset.load_annotations (split on whitespace,
8 float coordinates, class name looked up in DOTADataset.CLASSES, int() of the difficulty) and
DOTADataset._results2submission (the Task1 writer). The one stand-in in the geometry is
cv2.minAreaRect (OpenCV is not installed): for the 4 corners of a rectangle it returns the
centre, the two side lengths and the first side's angle in degrees, which is what OpenCV gives
up to the choice of side; load_annotations only uses it to fill `bboxes`. torch is imported by
both files but not used by these functions, so it is a stand-in too.

Usage: dota_reference.py labels DIR            → {"files": [{"filename", "labels", "polygons", "bboxes"}]}
       dota_reference.py task1 JOB.json OUTDIR → writes mmrotate's Task1 files for
           JOB = {"ids": [...], "dets": [[per-class [[cx, cy, w, h, angle, score], ...]], ...]} (le90)
"""

import importlib.util
import json
import math
import os
import sys
import types

import numpy as np

ROOT = importlib.util.find_spec("mmrotate").submodule_search_locations[0]


def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def min_area_rect(points):
    p = np.asarray(points, dtype=np.float64)
    centre = p.mean(axis=0)
    w = float(np.hypot(*(p[1] - p[0])))
    h = float(np.hypot(*(p[2] - p[1])))
    angle = math.degrees(math.atan2(p[1][1] - p[0][1], p[1][0] - p[0][0]))
    return (tuple(centre), (w, h), angle)


def run_source(name, relative, package):
    path = os.path.join(ROOT, relative)
    m = types.ModuleType(name)
    m.__file__ = path
    m.__package__ = package
    sys.modules[name] = m
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), m.__dict__)
    return m


def load():
    module("cv2", minAreaRect=min_area_rect)
    # Imported by both files but not used by the functions run here (numpy only); skipping
    # torch's import saves seconds.
    module("torch")
    transforms = run_source("mmrotate.core.bbox.transforms", "core/bbox/transforms.py", "mmrotate.core.bbox")

    class Registry:
        def register_module(self):
            return lambda cls: cls

    class CustomDataset:
        pass

    module("mmcv")
    module("mmcv.ops", nms_rotated=None)
    module("mmdet")
    module("mmdet.datasets")
    module("mmdet.datasets.custom", CustomDataset=CustomDataset)
    module("mmrotate", __path__=[ROOT])
    module("mmrotate.core", eval_rbbox_map=None, obb2poly_np=transforms.obb2poly_np, poly2obb_np=transforms.poly2obb_np)
    module("mmrotate.datasets", __path__=[os.path.join(ROOT, "datasets")])
    module("mmrotate.datasets.builder", ROTATED_DATASETS=Registry())
    dota = run_source("mmrotate.datasets.dota", "datasets/dota.py", "mmrotate.datasets")
    dataset = dota.DOTADataset.__new__(dota.DOTADataset)
    dataset.version = "le90"
    dataset.difficulty = 100
    dataset.filter_empty_gt = False
    return dataset


def main():
    dataset = load()
    if sys.argv[1] == "labels":
        infos = dataset.load_annotations(sys.argv[2])
        print(json.dumps({"files": [{
            "filename": info["filename"],
            "labels": info["ann"]["labels"].tolist(),
            "polygons": info["ann"]["polygons"].tolist(),
            "bboxes": info["ann"]["bboxes"].tolist(),
        } for info in sorted(infos, key=lambda i: i["filename"])]}))
    else:
        with open(sys.argv[2]) as f:
            job = json.load(f)
        dets = [[np.asarray(c, dtype=np.float32).reshape(-1, 6) for c in per_image] for per_image in job["dets"]]
        dataset._results2submission(job["ids"], dets, sys.argv[3])
        print(json.dumps({"classes": list(dataset.CLASSES)}))


if __name__ == "__main__":
    main()
