"""Independent georeferencing reference: GDAL (through rasterio) writes the GeoTIFF inputs and
reads the package's outputs, so the package's own GeoTIFF code never checks itself.

Usage: geo_reference.py JOB.json  → prints a JSON result. JOB.json:
  {"write": [{"path", "width", "height", "transform": GDAL geotransform [6], "epsg" or "crs" (any GDAL CRS text),
              "windows": [[left, top, right, bottom], ...]}],
   "read": [path, ...],
   "map": [{"path", "window": [left, top, right, bottom] | null, "points": [[x, y], ...]}]}
Result: {"written": [{"path", "windowTransforms": [[6], ...]}],
         "read": [{"path", "transform": [6], "epsg", "width", "height", "count", "dtype", "values": [...],
                   "crsWkt", "geoKeyTags": {"keys": {key id: value}, "ascii": raw GeoAsciiParams}}],
         "map": [[[X, Y], ...], ...]}
Written inputs have 3 uint8 bands with value (7·x + 13·y + 50·band) mod 256 at column x, row y.
"Map" sends continuous pixel coordinates (x right, y down, pixel i spans [i, i + 1)) of a
window of the file through GDAL's affine transform of that window.
"""

import json
import sys

import numpy as np
import rasterio
from PIL import Image
from affine import Affine
from rasterio.windows import Window, transform as window_transform


def pattern(width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([(7 * x + 13 * y + 50 * b) % 256 for b in range(3)]).astype(np.uint8)


def geo_key_tags(path: str) -> dict:
    """The GeoKeys of a file decoded from its raw tags (GeoKeyDirectory 34735, GeoDoubleParams
    34736, GeoAsciiParams 34737): {key id: value}, plus the raw ASCII params under "ascii"."""
    with Image.open(path) as im:
        tags = im.tag_v2
        directory = list(tags.get(34735, ()))
        doubles = list(tags.get(34736, ()))
        ascii_params = tags.get(34737, "")
    keys = {}
    for i in range(4, len(directory), 4):
        key, location, count, offset = directory[i:i + 4]
        if location == 0:
            keys[str(key)] = offset
        elif location == 34736:
            keys[str(key)] = doubles[offset:offset + count]
        elif location == 34737:
            keys[str(key)] = ascii_params[offset:offset + count]
    return {"keys": keys, "ascii": ascii_params}


def window_of(bounds) -> Window:
    left, top, right, bottom = bounds
    return Window(left, top, right - left, bottom - top)


def main() -> None:
    with open(sys.argv[1]) as f:
        job = json.load(f)
    out = {"written": [], "read": [], "map": []}
    for spec in job.get("write", []):
        transform = Affine.from_gdal(*spec["transform"])
        crs = spec["crs"] if "crs" in spec else f"EPSG:{spec['epsg']}"
        with rasterio.open(spec["path"], "w", driver="GTiff", width=spec["width"], height=spec["height"], count=3,
                           dtype="uint8", crs=crs, transform=transform) as dst:
            dst.write(pattern(spec["width"], spec["height"]))
        out["written"].append({"path": spec["path"], "windowTransforms": [
            list(window_transform(window_of(w), transform).to_gdal()) for w in spec.get("windows", [])]})
    for path in job.get("read", []):
        with rasterio.open(path) as src:
            out["read"].append({"path": path, "transform": list(src.transform.to_gdal()),
                                "epsg": src.crs.to_epsg() if src.crs else None, "width": src.width,
                                "height": src.height, "count": src.count, "dtype": src.dtypes[0],
                                "values": src.read(1).flatten().tolist(),
                                "crsWkt": src.crs.to_wkt() if src.crs else None, "geoKeyTags": geo_key_tags(path)})
    for item in job.get("map", []):
        with rasterio.open(item["path"]) as src:
            transform = src.transform
        if item.get("window"):
            transform = window_transform(window_of(item["window"]), transform)
        out["map"].append([list(transform * (x, y)) for x, y in item["points"]])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
