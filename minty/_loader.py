"""Find and load libmstp, the C library shipped inside the minty package."""

import ctypes
import os
import re

# The library's file name, defined here alone: setup.py reads it to build the library and put it
# beside this file.
LIBRARY_NAME = "libmstp.so"

_size, _u32p, _dblp = ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_double)
# Every function Python calls: name -> (restype, argtypes).
FUNCTIONS = {
    "mstp_version": (ctypes.c_char_p, []),
    "mstp_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    "mstp_spanning_tree": (ctypes.c_int, [_size, _size, _u32p, _u32p, _dblp, _u32p, _dblp]),
    "mstp_sum": (ctypes.c_int, [_dblp, _size, ctypes.c_uint, _dblp]),
}


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
        # glibc's words, then musl's ("Error relocating <path>: <symbol>: symbol not found").
        undefined = re.search(r"undefined symbol: (\S+)|: (\S+): symbol not found", str(exc))
        if undefined:
            # Not the machine's fault but the build's: a name it left for the loader to find.
            symbol = undefined.group(1) or undefined.group(2)
            raise ImportError(
                f"minty: cannot load {path}: undefined symbol: {symbol}: the library was linked "
                f"without what defines {symbol}; link it in and build again (a system library: "
                "-l<name> in MSTP_LDLIBS of minty/mstplib/Makefile; "
                "the C++ runtime: list the C++ sources in SRCS there, so the library links with CXX)"
            ) from exc
        raise ImportError(
            f"minty: cannot load {path}: {exc}. This usually means the wheel was built for "
            "another platform or a newer glibc; install a manylinux wheel built for this machine."
        ) from exc
    for name, (restype, argtypes) in FUNCTIONS.items():
        try:
            function = getattr(lib, name)
        except AttributeError:
            raise ImportError(
                f"minty: {LIBRARY_NAME} does not export {name} ({path}); mark it MSTP_API in the "
                "header, or list it in minty/mstplib/exports.txt (one name per line)"
            ) from None
        function.restype, function.argtypes = restype, argtypes
    return lib
