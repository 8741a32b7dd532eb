"""Name the compiled files a wheel carries; a wheel tagged 'any' must carry none.

    python3 docker/compiled.py WHEEL    -> their names, one a line; nothing when there are none

The one definition of "compiled file", used by the build (docker/build.sh, in the container) and
by the host's upload check (check_dist.py). Standard library only; Python 3.9+.
"""

import re
import sys
import zipfile

# Shared libraries, versioned or not (libfoo.so.1.2), of every platform, and objects and archives.
COMPILED = re.compile(r"\.(so|pyd|dylib|dll|o|a)(\.[0-9.]+)?$")


def compiled_files(wheel):
    with zipfile.ZipFile(wheel) as whl:
        return [name for name in whl.namelist() if COMPILED.search(name)]


if __name__ == "__main__":
    for name in compiled_files(sys.argv[1]):
        print(name)
