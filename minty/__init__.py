"""minty: minimum spanning trees and fast sums, computed by the libmstp C library."""

import ctypes

from ._loader import library_path, load_library

__all__ = ["MintyError", "library_path", "library_version", "spanning_tree", "parallel_sum"]
__version__ = "1.0.0"

_lib = load_library()


class MintyError(ValueError):
    """An input the C library rejected; the message is the library's own."""

    def __init__(self, code):
        self.code = code
        super().__init__(_lib.mstp_strerror(code).decode())


def _check(code):
    if code != 0:
        raise MintyError(code)


def library_version():
    """Version string of the loaded libmstp."""
    return _lib.mstp_version().decode()


def spanning_tree(n_vertices, edges):
    """Minimum spanning tree of an undirected graph.

    n_vertices: vertices are numbered 0..n_vertices-1.
    edges: iterable of (u, v, weight).
    Returns (total_weight, [(u, v, weight), ...]) with the tree's edges in ascending weight.
    Raises MintyError for a vertex out of range, a NaN weight or a disconnected graph.
    """
    if not isinstance(n_vertices, int) or n_vertices < 1:
        raise ValueError(f"n_vertices must be a positive integer, not {n_vertices!r}")
    edges = [(int(u), int(v), float(w)) for u, v, w in edges]
    if any(u < 0 or v < 0 for u, v, _ in edges):
        raise ValueError("vertex numbers must not be negative")
    count = len(edges)
    us = (ctypes.c_uint32 * count)(*(min(u, 2**32 - 1) for u, _, _ in edges))
    vs = (ctypes.c_uint32 * count)(*(min(v, 2**32 - 1) for _, v, _ in edges))
    ws = (ctypes.c_double * count)(*(w for _, _, w in edges))
    chosen = (ctypes.c_uint32 * max(n_vertices - 1, 1))()
    total = ctypes.c_double()
    _check(_lib.mstp_spanning_tree(n_vertices, count, us, vs, ws, chosen, ctypes.byref(total)))
    return total.value, [edges[i] for i in chosen[: n_vertices - 1]]


def parallel_sum(values, threads=0):
    """Sum of values, computed across up to `threads` threads (0: chosen by size)."""
    if not isinstance(threads, int) or threads < 0:
        raise ValueError(f"threads must be a non-negative integer, not {threads!r}")
    data = [float(x) for x in values]
    array = (ctypes.c_double * len(data))(*data)
    total = ctypes.c_double()
    _check(_lib.mstp_sum(array, len(data), threads, ctypes.byref(total)))
    return total.value
