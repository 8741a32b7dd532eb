"""Add license files to a wheel's .dist-info/licenses/ and rewrite its RECORD to match.

    python wheel_licenses.py WHEEL NAME=PATH...

NAME is the file's path under licenses/, PATH the file to add. The wheel is rewritten in place,
its entries kept in their order with their times, the new ones taking RECORD's time, so that the
same inputs make the same wheel. A NAME the wheel already holds is left as it is.
Standard library only: it runs under any interpreter of the image.
"""

import base64
import csv
import hashlib
import io
import os
import sys
import zipfile


def record_row(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def add_licenses(wheel, files):
    with zipfile.ZipFile(wheel) as whl:
        infos = whl.infolist()
        (record,) = [
            i for i in infos if i.filename.count("/") == 1 and i.filename.endswith(".dist-info/RECORD")
        ]
        prefix = record.filename.replace("RECORD", "licenses/")
        held = {i.filename for i in infos}
        added = {}
        for name, path in files:
            if prefix + name not in held:
                with open(path, "rb") as file:
                    added[prefix + name] = file.read()
        if not added:
            return
        rows = [
            row
            for row in csv.reader(io.StringIO(whl.read(record).decode()))
            if row and row[0] != record.filename
        ]
        rows += [record_row(name, data) for name, data in added.items()]
        rows.append([record.filename, "", ""])
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        with zipfile.ZipFile(f"{wheel}.tmp", "w") as out:
            for info in infos:
                if info is not record:
                    out.writestr(info, whl.read(info))
            for name, data in added.items():
                new = zipfile.ZipInfo(name, record.date_time)
                new.external_attr = 0o644 << 16
                new.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(new, data)
            out.writestr(record, text.getvalue())
    os.replace(f"{wheel}.tmp", wheel)


def main(argv):
    if len(argv) < 2 or not all("=" in arg for arg in argv[1:]):
        sys.exit(__doc__)
    add_licenses(argv[0], [arg.split("=", 1) for arg in argv[1:]])


if __name__ == "__main__":
    main(sys.argv[1:])
