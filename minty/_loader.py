"""Find and load libmstp, the C library shipped inside the minty package."""

import ctypes
import os

LIBRARY_NAME = "libmstp.so"


def library_path():
    """Return where the library is expected: next to this file, where the wheel installs it."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), LIBRARY_NAME)


def load_library():
    """Load the library and declare its functions' signatures, or raise ImportError saying why."""
    path = library_path()
    if not os.path.exists(path):
        raise ImportError(
            f"minty: {LIBRARY_NAME} not found at {path}; the package was not built. "
            "Install a wheel (pip install minty) or build one with 'make wheels'."
        )
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        raise ImportError(
            f"minty: cannot load {path}: {exc}. This usually means the wheel was built for "
            "another platform or a newer glibc; install a manylinux wheel built for this machine."
        ) from exc

    c_size, c_u32p, c_dblp = ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_double)
    lib.mstp_version.restype = ctypes.c_char_p
    lib.mstp_version.argtypes = []
    lib.mstp_strerror.restype = ctypes.c_char_p
    lib.mstp_strerror.argtypes = [ctypes.c_int]
    lib.mstp_spanning_tree.restype = ctypes.c_int
    lib.mstp_spanning_tree.argtypes = [c_size, c_size, c_u32p, c_u32p, c_dblp, c_u32p, c_dblp]
    lib.mstp_sum.restype = ctypes.c_int
    lib.mstp_sum.argtypes = [c_dblp, c_size, ctypes.c_uint, c_dblp]
    return lib
