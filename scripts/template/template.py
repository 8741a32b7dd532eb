"""The template's two sets of files and the project's record of the template, for rename and update.

    import template
    template.pipeline_paths(text)      -> the pipeline's paths, from scripts/template-files.txt's text
    template.is_pipeline(name, paths)  -> whether a file belongs to the pipeline
    template.read_record(root)         -> .template's keys and values (package_files: {path: fingerprint})
    template.write_record(root, rec)   -> write them back, keeping the file's header comment
    template.record_text(root, rec)    -> the text write_record writes
    raise template.Problem(...)        -> the template scripts' one error: the cause and the fix

The pipeline's files (scripts/template-files.txt) belong to the template: make update-template
merges the template's later changes into them, and make rename never touches them. Everything else
belongs to the project. The record, .template at the top level, says where the project came from
(url, commit), the template's own example distribution (example), and which package files the
template shipped (package_files): the only files make rename rewrites, those of the C library's
folder each with the fingerprint of the text rename last wrote there (ownership.py says why).
Standard library only.
"""

import configparser
from pathlib import Path

import ownership

PIPELINE_LIST = "scripts/template-files.txt"
RECORD = ".template"
# The record's keys, in the order they are written; package_files is a list, one path a line,
# each followed by its fingerprint when it has one.
KEYS = ("url", "commit", "example", "package_files")


class Problem(Exception):
    """Why a template script stops (a record or list it cannot use, a name it refuses, a step that
    failed): str() is the cause and the fix. Its main prints it as "error:"."""


def pipeline_paths(text):
    """The paths a pipeline list names: files, and folders as 'name/'; comments and blanks skipped."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def is_pipeline(name, paths):
    """Whether the file at path name (relative to the top) is one of paths or lies in one of its folders."""
    return any(name == path or (path.endswith("/") and name.startswith(path)) for path in paths)


def read_record(root):
    """The record's values: missing keys are empty; package_files maps each path, in the order
    listed, to its fingerprint ("" when it has none)."""
    path = Path(root) / RECORD
    if not path.is_file():
        raise Problem(f"{RECORD} is missing; copy it from the template's repository")
    parser = configparser.ConfigParser(
        delimiters=("=",), comment_prefixes=("#",), inline_comment_prefixes=("#",), interpolation=None
    )
    # Line numbers count the section header put in front.
    try:
        parser.read_string("[record]\n" + path.read_text(), source=RECORD)
    except configparser.DuplicateOptionError as err:
        raise Problem(f"{RECORD} sets {err.option} twice (line {err.lineno - 1}); keep one") from None
    except configparser.ParsingError as err:
        number = err.errors[0][0]
        raise Problem(
            f"{RECORD} line {number - 1} is not 'key = value' or an indented list entry; fix it"
        ) from None
    values = dict(parser["record"])
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise Problem(f"{RECORD} has an unknown key '{unknown[0]}'; use only {', '.join(KEYS)}")
    record = {key: values.get(key, "").strip() for key in KEYS}
    files = {}
    for entry in record["package_files"].splitlines():
        path, _, recorded = entry.strip().partition(" ")
        recorded = recorded.strip()
        if not ownership.check(recorded):
            raise Problem(
                f"{RECORD} lists {path} with '{recorded}', which is not a fingerprint make rename writes; "
                "delete it (the file is then taken as the template's)"
            )
        if path:
            files[path] = recorded
    record["package_files"] = files
    return record


def write_record(root, record):
    """Write the record, keeping the header comment of the file there now."""
    (Path(root) / RECORD).write_text(record_text(root, record))


def record_text(root, record):
    """The record's text, with the header comment of the file there now."""
    path = Path(root) / RECORD
    old = path.read_text().splitlines() if path.is_file() else []
    header = []
    for line in old:
        if not line.startswith("#"):
            break
        header.append(line)
    lines = [*header, *(f"{key} = {record[key]}".rstrip() for key in KEYS[:-1]), "package_files ="]
    lines += [f"    {name} {recorded}".rstrip() for name, recorded in record["package_files"].items()]
    return "\n".join(lines) + "\n"
