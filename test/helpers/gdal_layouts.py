"""GDAL (rasterio) as the independent oracle for raster I/O.

`write DIR`: writes one small raster per layout of issue 15's table into DIR and prints, per
layout, what GDAL reads back: transform, CRS WKT, EPSG, size, nodata, and the pixel values
(band-major, as GDAL decodes them). `read FILE...`: prints the same for outputs (plus the
colour table size). `reduced FILE W H`: the raster read into a smaller buffer (from overviews).
"""
import json
import sys

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import Affine

W, H = 64, 64
UTM = CRS.from_epsg(32633)
CUSTOM = CRS.from_proj4('+proj=tmerc +lat_0=0 +lon_0=15.5 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs')
NORTH = Affine(10, 0, 500000, 0, -10, 4000000)


def pattern(bands, dtype=np.uint8, scale=1):
    y, x = np.mgrid[0:H, 0:W]
    out = np.stack([((7 * x + 13 * y + 50 * b) % 200 + 20) * scale for b in range(bands)])
    return out.astype(dtype)


def smooth(bands):
    y, x = np.mgrid[0:H, 0:W]
    return np.stack([(2 * x + 3 * y + 40 * b) % 256 for b in range(bands)]).astype(np.uint8)


def write(path, data, transform=NORTH, crs=UTM, driver='GTiff', nodata=None, tags=None, **options):
    profile = dict(driver=driver, width=data.shape[2], height=data.shape[1], count=data.shape[0], dtype=data.dtype, transform=transform, crs=crs)
    if nodata is not None:
        profile['nodata'] = nodata
    with rasterio.open(path, 'w', **profile, **options) as dst:
        dst.write(data)
        if tags:
            dst.update_tags(**tags)


def layouts(d):
    rgb = pattern(3)
    out = {}
    write(f'{d}/utm.tif', rgb, compress='deflate')
    out['utm'] = f'{d}/utm.tif'
    write(f'{d}/ycbcr.tif', smooth(3), compress='jpeg', photometric='ycbcr', tiled=True, blockxsize=16, blockysize=16)
    out['ycbcr'] = f'{d}/ycbcr.tif'
    write(f'{d}/webp.tif', smooth(3), compress='webp', webp_level=90)
    out['webp'] = f'{d}/webp.tif'
    write(f'{d}/point.tif', rgb, tags={'AREA_OR_POINT': 'Point'})
    out['point'] = f'{d}/point.tif'
    write(f'{d}/southup.tif', rgb, transform=Affine(10, 0, 500000, 0, 10, 4000000))
    out['southup'] = f'{d}/southup.tif'
    write(f'{d}/rotated.tif', rgb, transform=Affine(10, 3, 500000, -2, -10, 4000000))
    out['rotated'] = f'{d}/rotated.tif'
    write(f'{d}/custom.tif', rgb, crs=CUSTOM)
    out['custom'] = f'{d}/custom.tif'
    write(f'{d}/wgs84.tif', rgb, transform=Affine(0.001, 0, 10, 0, -0.001, 50), crs=CRS.from_epsg(4326))
    out['wgs84'] = f'{d}/wgs84.tif'
    holes = rgb.copy()
    holes[:, 5:15, 10:30] = 0
    write(f'{d}/nodata.tif', holes, nodata=0)
    out['nodata'] = f'{d}/nodata.tif'
    fl = pattern(1, np.float32, 0.01)
    fl[0, 20:30, 0:12] = np.nan
    write(f'{d}/float-nan.tif', fl, nodata=float('nan'))
    out['float-nan'] = f'{d}/float-nan.tif'
    write(f'{d}/uint16x4.tif', pattern(4, np.uint16, 40), compress='lzw')
    out['uint16x4'] = f'{d}/uint16x4.tif'
    write(f'{d}/bigtiff.tif', rgb, BIGTIFF='YES', tiled=True, blockxsize=16, blockysize=16, interleave='band')
    out['bigtiff'] = f'{d}/bigtiff.tif'
    write(f'{d}/cog.tif', rgb, driver='COG', compress='deflate', blocksize=16, overview_resampling='average')
    out['cog'] = f'{d}/cog.tif'
    write(f'{d}/image.jp2', rgb, driver='JP2OpenJPEG', QUALITY=100, REVERSIBLE='YES')
    out['jp2'] = f'{d}/image.jp2'
    with rasterio.open(f'{d}/utm.tif') as src:
        vrt = f'''<VRTDataset rasterXSize="{W}" rasterYSize="{H}"><SRS>{src.crs.to_wkt()}</SRS>
<GeoTransform>{', '.join(str(v) for v in src.transform.to_gdal())}</GeoTransform>''' + ''.join(
            f'<VRTRasterBand dataType="Byte" band="{b}"><SimpleSource><SourceFilename relativeToVRT="1">utm.tif</SourceFilename><SourceBand>{b}</SourceBand></SimpleSource></VRTRasterBand>'
            for b in (1, 2, 3)) + '</VRTDataset>'
    with open(f'{d}/scene.vrt', 'w') as f:
        f.write(vrt)
    out['vrt'] = f'{d}/scene.vrt'
    write(f'{d}/world.png', rgb, driver='PNG', crs=None, WORLDFILE='YES')
    out['png-worldfile'] = f'{d}/world.png'
    return out


def describe(path):
    with rasterio.open(path) as src:
        data = src.read(masked=False)
        mask = src.dataset_mask()
        try:
            colors = len(src.colormap(1))
        except ValueError:
            colors = 0
        return {
            'path': path,
            'transform': list(src.transform.to_gdal()),
            'crsWkt': src.crs.to_wkt() if src.crs else None,
            'epsg': src.crs.to_epsg() if src.crs else None,
            'width': src.width, 'height': src.height, 'count': src.count, 'dtype': src.dtypes[0],
            'nodata': None if src.nodata is None else (None if np.isnan(src.nodata) else src.nodata),
            'nodataIsNan': bool(src.nodata is not None and np.isnan(src.nodata)),
            'values': [None if not np.isfinite(v) else float(v) for v in data.ravel().tolist()],
            'valid': (mask.ravel() > 0).astype(int).tolist(),
            'colors': colors,
            'driver': src.driver,
            'tiled': bool(src.profile.get('tiled', False)),
            'compress': str(src.compression.value) if src.compression else None,
        }


def reduced(path, width, height):
    """The whole raster read into a width × height buffer (GDAL reads the closest overview)."""
    with rasterio.open(path) as src:
        return {'values': src.read(out_shape=(src.count, height, width)).ravel().tolist(), 'overviews': src.overviews(1)}


if __name__ == '__main__':
    if sys.argv[1] == 'reduced':
        print(json.dumps(reduced(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    elif sys.argv[1] == 'write':
        print(json.dumps({name: describe(path) for name, path in layouts(sys.argv[2]).items()}))
    else:
        print(json.dumps([describe(p) for p in sys.argv[2:]]))
