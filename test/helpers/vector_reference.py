"""Independent vector reference: fiona (its own GDAL/OGR inside the wheel) reads the package's
vector files, pyproj gives coordinate transforms and geodesic areas, shapely validity and ring
orientation. Nothing of the package's own OGR code checks itself.

Usage: vector_reference.py JOB.json → prints a JSON result. JOB.json:
  {"read": [path, ...],
   "transform": [{"crs": any pyproj CRS text, "points": [[x, y], ...]}],   → WGS 84 lon/lat (always_xy)
   "geod": [{"ellps": "WGS84" | {"a", "rf"}, "rings": [[[lon, lat], ...], ...]}]}  → absolute geodesic areas, m²
Result: {"read": [{"path", "crs_wkt", "epsg", "features": [{"properties", "rings", "valid", "ccw"}]}],
         "transform": [[[lon, lat], ...]], "geod": [[area, ...]]}
"""

import json
import sys

import fiona
import shapely.geometry
from pyproj import CRS, Geod, Transformer


def read(path):
    with fiona.open(path) as layer:
        crs = CRS.from_wkt(layer.crs_wkt) if layer.crs_wkt else None
        features = []
        for f in layer:
            geom = shapely.geometry.shape(f.geometry)
            polygons = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
            features.append({
                "properties": dict(f.properties),
                "rings": [[list(p) for p in polygon.exterior.coords] for polygon in polygons],
                "holes": sum(len(polygon.interiors) for polygon in polygons),
                "valid": bool(geom.is_valid),
                "ccw": all(polygon.exterior.is_ccw for polygon in polygons),
                "area": geom.area,
            })
        return {"path": path, "crs_wkt": layer.crs_wkt or None, "epsg": crs.to_epsg() if crs else None,
                "features": features}


def transform(job):
    t = Transformer.from_crs(CRS.from_user_input(job["crs"]), CRS.from_epsg(4326), always_xy=True)
    return [list(t.transform(x, y)) for x, y in job["points"]]


def geod(job):
    e = job["ellps"]
    g = Geod(ellps=e) if isinstance(e, str) else Geod(a=e["a"], rf=e["rf"]) if e["rf"] else Geod(a=e["a"], b=e["a"])
    out = []
    for ring in job["rings"]:
        lons, lats = zip(*ring)
        area, _ = g.polygon_area_perimeter(lons, lats)
        out.append(abs(area))
    return out


def same_crs(job):
    return CRS.from_user_input(job[0]).equals(CRS.from_user_input(job[1]), ignore_axis_order=True)


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    print(json.dumps({
        "read": [read(p) for p in job.get("read", [])],
        "transform": [transform(j) for j in job.get("transform", [])],
        "geod": [geod(j) for j in job.get("geod", [])],
        "same_crs": [same_crs(j) for j in job.get("same_crs", [])],
    }))


if __name__ == "__main__":
    main()
