"""The nearest region to a point outside France, and the geodesic distance to it.

So an operator can tell a GPS glitch 300 m off the coast from a sensor in Spain, the distance
is measured on the WGS84 ellipsoid (pyproj.Geod, Karney's algorithm) from the point to the
nearest point of a region's boundary as shipped (edges are straight in longitude/latitude).

Finding that point among ~47,000 edges without measuring them all: vertices are grouped in
clusters of 16 consecutive ones with a bounding sphere; the straight-line (3-D chord) distance
to the clusters, then to the vertices of the clusters that may hold it, gives the nearest
vertex, whose geodesic distance G bounds the answer. An edge can hold the nearest point only
if one of its ends is within G plus the longest edge, and a chord is never longer than
``2 R sin(s / 2R)`` for a geodesic of length s (R the largest radius of curvature of the
ellipsoid), which turns that bound into a chord length to filter on. On the remaining edges
the point closest along the chord is taken and its geodesic distance computed. Edges are
first split to at most ``MAX_EDGE_DEG`` (same lines), which keeps the filter tight.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyproj
import shapely

GEOD = pyproj.Geod(ellps="WGS84")
_A = 6_378_137.0  # WGS84 semi-major axis, m
_E2 = 6.694_379_990_14e-3  # WGS84 first eccentricity squared
_LARGEST_RADIUS = _A / np.sqrt(1.0 - _E2)  # of curvature, at the poles: a^2 / b
MAX_EDGE_DEG = 0.01
_CLUSTER = 16  # vertices per bounding sphere
_QUERIES_PER_BLOCK = 256  # bounds the (queries x clusters) arrays to ~20 MB


class NearestRegion:
    """Nearest region and geodesic distance, for points given in degrees.

    ``regions`` are (code, polygonal geometry) pairs; on a tie (a shared border) the first
    one wins.
    """

    def __init__(self, regions: Sequence[tuple[int, shapely.Geometry]]) -> None:
        rings = [
            shapely.segmentize(shapely.get_rings(shapely.get_parts(geometry)), MAX_EDGE_DEG)
            for _, geometry in regions
        ]
        ring_region = np.repeat(np.arange(len(regions)), [len(r) for r in rings])
        xy, ring = shapely.get_coordinates(np.concatenate(rings), return_index=True)
        same_ring = ring[1:] == ring[:-1]  # closed rings: one edge per pair of consecutive points
        edge_ring = ring[:-1][same_ring]
        self._start = xy[:-1][same_ring]  # lon, lat where each edge starts
        self._rank = ring_region[edge_ring]  # the region's position in ``regions``
        self._code = np.array([code for code, _ in regions], dtype=np.uint8)[self._rank]
        # The edge that starts where each edge ends: the next one, or the first of its ring.
        first_of_ring = np.searchsorted(edge_ring, edge_ring)
        last = np.r_[edge_ring[1:] != edge_ring[:-1], True]
        self._next = np.where(last, first_of_ring, np.arange(edge_ring.size) + 1)
        self._prev = np.empty_like(self._next)
        self._prev[self._next] = np.arange(self._next.size)
        self._xyz = _ecef(self._start[:, 1], self._start[:, 0])
        end = self._start[self._next]
        length = _geodesic_metres(self._start[:, 0], self._start[:, 1], end[:, 0], end[:, 1])
        self._longest_edge = float(length.max()) + 1.0  # metres; 1 m for lon/lat vs geodesic
        cluster = np.arange(self._next.size) // _CLUSTER
        size = np.bincount(cluster)
        self._centre = np.column_stack(
            [np.bincount(cluster, weights=self._xyz[:, axis]) / size for axis in range(3)]
        )
        self._radius = np.zeros(size.size)
        np.maximum.at(self._radius, cluster, np.linalg.norm(self._xyz - self._centre[cluster], axis=1))

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For finite, in-range points: the nearest region's code and the distance in km."""
        codes = np.empty(lat.size, dtype=np.uint8)
        km = np.empty(lat.size)
        for block in range(0, lat.size, _QUERIES_PER_BLOCK):
            part = slice(block, block + _QUERIES_PER_BLOCK)
            codes[part], km[part] = self._nearest_block(lat[part], lon[part])
        return codes, km

    def _nearest_block(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        query = _ecef(lat, lon)
        to_centre = np.linalg.norm(query[:, None, :] - self._centre[None, :, :], axis=2)
        closest_possible = to_centre - self._radius

        # The nearest vertex (by chord), among the clusters that may hold it.
        farthest_needed = (to_centre + self._radius).min(axis=1, keepdims=True)
        query_index, vertex = self._vertices_of(closest_possible <= farthest_needed)
        chord = np.linalg.norm(query[query_index] - self._xyz[vertex], axis=1)
        nearest_vertex = self._start[vertex[_first_per_query(query_index, chord)]]
        bound = _geodesic_metres(lon, lat, nearest_vertex[:, 0], nearest_vertex[:, 1])

        # The edges with an end within reach of the nearest point, and their closest points.
        reach = _longest_chord(bound + self._longest_edge) * (1 + 1e-9) + 1e-3
        query_index, vertex = self._vertices_of(closest_possible <= reach[:, None])
        chord = np.linalg.norm(query[query_index] - self._xyz[vertex], axis=1)
        within = chord <= reach[query_index]
        query_index = np.tile(query_index[within], 2)
        edge = np.concatenate([vertex[within], self._prev[vertex[within]]])  # from, to the vertex

        a, b = self._xyz[edge], self._xyz[self._next[edge]]
        ab = b - a
        t = np.einsum("ij,ij->i", query[query_index] - a, ab) / np.maximum(
            np.einsum("ij,ij->i", ab, ab), 1e-12
        )
        t = np.clip(t, 0.0, 1.0)[:, None]
        closest = self._start[edge] + t * (self._start[self._next[edge]] - self._start[edge])
        metres = _geodesic_metres(lon[query_index], lat[query_index], closest[:, 0], closest[:, 1])
        first = _first_per_query(query_index, metres, self._rank[edge])  # first region on a tie
        return self._code[edge][first], metres[first] / 1000.0

    def _vertices_of(self, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query, vertex) pairs for the (query x cluster) boolean mask ``clusters``."""
        query_index, cluster = np.nonzero(clusters)
        first = cluster * _CLUSTER
        size = np.minimum(_CLUSTER, self._next.size - first)
        return np.repeat(query_index, size), np.repeat(first, size) + _ranks(size)


def _geodesic_metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Geodesic distances in metres between arrays of points."""
    if lon1.size == 1:  # pyproj would take a 1-element array for a scalar (deprecated by numpy)
        return _geodesic_metres(*(np.repeat(a, 2) for a in (lon1, lat1, lon2, lat2)))[:1]
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def _first_per_query(query_index: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """For each query (all present, numbered from 0), the pair that sorts first by ``keys``."""
    order = np.lexsort((*reversed(keys), query_index))
    sorted_query = query_index[order]
    return order[np.r_[True, sorted_query[1:] != sorted_query[:-1]]]


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., n-1 for each n of ``counts``, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _ecef(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Earth-centred Cartesian coordinates (m) of points on the WGS84 ellipsoid."""
    phi, lam = np.radians(lat), np.radians(lon)
    n = _A / np.sqrt(1.0 - _E2 * np.sin(phi) ** 2)
    return np.column_stack(
        (n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1.0 - _E2) * np.sin(phi))
    )


def _longest_chord(geodesic: np.ndarray) -> np.ndarray:
    """The longest chord a geodesic of this length (m) can span on the WGS84 ellipsoid.

    That of a great circle on the sphere of the largest radius of curvature: the ellipsoid
    curves at least that much everywhere (tests/geo/test_nearest.py checks it on random pairs).
    """
    return 2.0 * _LARGEST_RADIUS * np.sin(np.minimum(geodesic / (2.0 * _LARGEST_RADIUS), np.pi / 2))
