"""Rewrite an sdist so that its bytes depend only on its contents and SOURCE_DATE_EPOCH.

    python scripts/build/normalize_sdist.py dist/NAME-VERSION.tar.gz

setuptools writes the gzip header's time, the builder's user and group, and PAX headers with the
build's exact times into the archive; this sorts the members, clamps their times to
SOURCE_DATE_EPOCH and clears owners, PAX headers and header time.
"""

import gzip
import io
import os
import sys
import tarfile


def normalize(path, epoch):
    with tarfile.open(path, "r:gz") as src:
        members = sorted(src.getmembers(), key=lambda m: m.name)
        payload = io.BytesIO()
        with tarfile.open(fileobj=payload, mode="w", format=tarfile.PAX_FORMAT) as dst:
            for member in members:
                data = src.extractfile(member) if member.isfile() else None
                # The source's PAX headers would carry its exact times over the clamped ones.
                member.pax_headers = {}
                member.mtime = min(int(member.mtime), epoch)
                member.uid = member.gid = 0
                member.uname = member.gname = ""
                member.mode = 0o755 if member.isdir() or member.mode & 0o111 else 0o644
                dst.addfile(member, data)
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=epoch, filename="") as gz:
        gz.write(payload.getvalue())
    os.replace(tmp, path)


if __name__ == "__main__":
    normalize(sys.argv[1], int(os.environ["SOURCE_DATE_EPOCH"]))
