"""make rename's change phase: renames and new contents applied to the tree whole, or not at all.

    import all_or_nothing
    all_or_nothing.change(root, renames, writes, last)  -> make the changes, or raise and change nothing
    all_or_nothing.moved(name, renames)                 -> where a path is once the renames are done
    all_or_nothing.NEW, all_or_nothing.OLD              -> the suffixes of the files it keeps aside

The new contents are written beside their files first; the renames and swaps, short, are made with
the signals that would stop them held, and undone if one fails. A file with one of the suffixes
NEW and OLD is left only by a change that was killed (kill -9) midway. Standard library only.
"""

import os
import shutil
import signal
from pathlib import Path

from template import Problem

# The change phase's new contents, and the old ones it replaces, until every step has worked.
NEW, OLD = ".rename-new", ".rename-old"
# What would stop the change phase between two of its steps; they wait until it is done.
SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT}


def moved(name, renames):
    """Where the path name is once the renames ((source, target) paths, in order) are done."""
    for source, target in renames:
        if name == source or name.startswith(f"{source}/"):
            name = target + name[len(source) :]
    return name


def beside(name, suffix):
    """The hidden file beside the path name that holds its new or old contents for a while."""
    path = Path(name)
    return str(path.with_name(f".{path.name}{suffix}"))


def stage(root, writes):
    """Write each new content beside its file, with its file's mode; return those files' names.
    Nothing is left if one cannot be written."""
    staged = []
    try:
        for name, (_, data) in writes.items():
            staged.append(beside(name, NEW))
            (root / staged[-1]).write_bytes(data)
            shutil.copymode(root / name, root / staged[-1])
    except BaseException as err:
        for name in staged:
            (root / name).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise Problem(
                f"cannot write {staged[-1]} ({err.strerror}); nothing was changed: fix that, run again"
            ) from None
        raise
    return staged


def change(root, renames, writes, last=None):
    """Make the changes under root, all or none: the renames ((source, target) paths, in order),
    then each {path now: (path after the renames, new bytes)} of writes, then last() if given (a
    step that raises if it fails, such as moving git's index entries)."""
    staged = stage(root, writes)
    done = []

    def swap(source, target):
        os.rename(root / source, root / target)
        done.append((source, target))

    # Signals wait until the moves are done or undone: their handlers only note them meanwhile.
    # Handlers rather than a blocked mask, which holds only this thread's signals: in a process
    # with other threads the kernel would hand the signal to one of those.
    caught = []
    held = {number: signal.signal(number, lambda number, _frame: caught.append(number)) for number in SIGNALS}
    try:
        for source, target in renames:
            swap(source, target)
        for name, (after, _) in writes.items():
            swap(after, beside(after, OLD))
            swap(moved(beside(name, NEW), renames), after)
        if last:
            last()
    except BaseException as err:
        for source, target in reversed(done):
            os.rename(root / target, root / source)
        for name in staged:
            (root / name).unlink(missing_ok=True)
        if isinstance(err, OSError):
            where = os.path.relpath(err.filename, root) if err.filename else "a file"
            raise Problem(
                f"cannot rename {where} ({err.strerror}); nothing was changed: fix that, run again"
            ) from None
        raise
    else:
        # Done: the old contents go.
        for after, _ in writes.values():
            (root / beside(after, OLD)).unlink()
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
        if caught:
            signal.raise_signal(caught[0])
