/**
 * The CRS of a georeferenced result as an OGR SpatialReference, and the transform of geometries
 * from it to WGS 84 longitude/latitude (RFC 7946 GeoJSON).
 *
 * Axis order: a geotransform always yields (easting, northing) — longitude first for geographic
 * CRSs — whatever axis order the CRS's authority declares (GDAL's "traditional GIS order"), and
 * vector formats store x = easting/longitude. gdal-async does not expose
 * OAMS_TRADITIONAL_GIS_ORDER, and its CoordinateTransformation follows the authority order
 * (EPSG:4326 is latitude first there), so: geometries from a CRS whose authority order is
 * latitude/northing first are swapped before transforming, and the target is OGC:CRS84 (WGS 84
 * with longitude first by definition).
 */

import type { Geometry, SpatialReference } from 'gdal-async';
import type { GeoInfo } from '../image/types.js';
import { gdal } from './gdal.js';

/** The CRS of `geo` (its WKT when given, else its EPSG code), or null when it has neither. */
export function spatialReferenceOf(geo: GeoInfo | null): SpatialReference | null {
  if (!geo) return null;
  const g = gdal();
  if (typeof geo.crsWkt === 'string' && geo.crsWkt.trim() !== '') return g.SpatialReference.fromWKT(geo.crsWkt);
  if (geo.epsg !== null) return g.SpatialReference.fromEPSG(geo.epsg);
  return null;
}

/** True when the CRS's authority puts latitude/northing first (coordinates from a geotransform then need a swap). */
export function authorityAxesSwapped(srs: SpatialReference): boolean {
  return srs.EPSGTreatsAsLatLong() || srs.EPSGTreatsAsNorthingEasting();
}

/** WGS 84 with longitude first. */
export function lonLatReference(): SpatialReference {
  return gdal().SpatialReference.fromUserInput('OGC:CRS84');
}

/** A function that moves a geometry in `srs` (geotransform axis order) to WGS 84 lon/lat, in place. */
export function toLonLat(srs: SpatialReference): (geometry: Geometry) => void {
  const transform = new (gdal().CoordinateTransformation)(srs, lonLatReference());
  const swap = authorityAxesSwapped(srs);
  return (geometry) => {
    if (swap) geometry.swapXY();
    geometry.transform(transform);
  };
}

/** A short name of the CRS for reports: "EPSG:32631", or the WKT's name for a CRS without an EPSG code. */
export function crsName(srs: SpatialReference): string {
  const code = srs.getAuthorityCode(null);
  if (srs.getAuthorityName(null) === 'EPSG' && code) return `EPSG:${code}`;
  return srs.getAttrValue(srs.isProjected() ? 'PROJCS' : 'GEOGCS') ?? 'user-defined CRS';
}
