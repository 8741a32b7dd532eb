"""Every error message of the pipeline's scripts is triggered by some test, or allowed below with
the reason no test here can trigger it.

The messages are the fixed text, around the values put in, of: die "..." in scripts/*.sh and
docker/*.sh, and the one-line reasons ("cause; fix") those scripts echo or printf for a die or for
make; make's $(error ...) in scripts/pipeline.mk; and raise X(...) of the Python scripts' own
exception classes, which their main prints as "error:".

A message counts as triggered when a string of some test under tests/pipeline (regular
expressions' escapes undone, an f-string's values as "…") holds either its whole cause (the text
before its first "; ") or a run of it that tells it from every other message: WINDOW fixed
characters from the start of a word, any text standing for the values between, starting in its
cause when any such run does. A test that asserts the message, or the part of it that is its own,
counts; one that shares only a common fix ("run 'make' again") does not.
"""

import ast
import re
from pathlib import Path

import pytest
from conftest import ROOT

MIN_FRAGMENT = 12
WINDOW = 16
HERE = Path(__file__).resolve()

# Messages no test here triggers, each with why; a phrase of the message (its fixed text) each.
# Keep it short: a message that can be triggered gets a test instead. An entry whose message is
# gone or now triggered fails the test below, so that the list stays true.
ALLOWED = {
    "cannot make a pipe in": "needs TMPDIR on a file system that holds no named pipes (WSL's /mnt, some "
    "network mounts), which this machine has none of",
    "the sdist did not reach the container": "only when the tar stream into a running container breaks "
    "(the engine loses its stdin mid-run); nothing here breaks it without a hook in step.sh",
    "step produced no wheel": "only when the container's step succeeds and leaves no wheel; docker/build.sh "
    "fails first for every way a build here goes wrong",
    "needs Python 3.11+": "needs a tools Python 3.10, which lacks tomllib; the tools here run on a newer one",
    "commit them, or use FORCE=1": "test_rename.py asserts it as a regular expression "
    r"(uncommitted changes \(README\.md\).*FORCE=1), which the collector does not read",
    "nothing was changed: fix that, run again": "rename's all-or-nothing change phase: the write and "
    "rename failures are asserted by test_rename.py's fault injection as a regular expression "
    "(cannot (write|rename) .*; nothing was changed), and git update-index fails only on a damaged index",
    "see git's message, fix, run again": "git itself failing where no check before it names the cause "
    "(a repository git cannot read); only a damaged repository does that",
    "git merge-recursive failed": "merge-recursive failing other than by conflicts (reported as such): "
    "only a damaged object store does that",
    "cannot add the grafted libraries' licenses": "only when the wheel auditwheel has just written, or a "
    "license file the image's package manager lists and the repair found there, cannot be read or rewritten; "
    "the repair runs as root in a container of its own, where nothing here makes them so",
}


def end_of_substitution(text, j):
    """The index after the $( ... ) that starts at text[j]."""
    j, depth = j + 2, 1
    while depth:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            j = quoted(text, j)[1]
            continue
        if c == "'":
            j = text.index("'", j + 1) + 1
            continue
        depth += (c == "(") - (c == ")")
        j += 1
    return j


def end_of_braces(text, j):
    """The index after the ${ ... } that starts at text[j] (which may hold others)."""
    depth, j = 0, j + 1
    while True:
        depth += (text[j] == "{") - (text[j] == "}")
        j += 1
        if depth == 0:
            return j


def quoted(text, i):
    """The parts of the double-quoted shell word at text[i] (fixed text, and None for each
    expansion), and the index after it."""
    parts, fixed, j = [], "", i + 1
    while text[j] != '"':
        if text[j] == "\\":
            # A backslash-newline inside quotes joins the lines.
            fixed, j = fixed + text[j + 1].replace("\n", ""), j + 2
            continue
        if text.startswith("$(", j):
            end = end_of_substitution(text, j)
        elif text.startswith("${", j):
            end = end_of_braces(text, j)
        elif (name := re.match(r"\$(\w+|[*@#?])", text[j:])) is not None:
            end = j + len(name.group())
        else:
            fixed, j = fixed + text[j], j + 1
            continue
        parts += [fixed, None]
        fixed, j = "", end
    return [*parts, fixed], j + 1


# Where a shell script's message starts: die's, or a line echoed, printed or kept for later.
SHELL_MESSAGE = r'(?<![\w-])(die|echo|printf \'%s\\n\'|local \w+=)(?:\s|\\\n)*(?=")'


def without_comments(path):
    """The script's text with its comment lines emptied (so that line numbers stay)."""
    return "\n".join(re.sub(r"^\s*#.*", "", line) for line in path.read_text().splitlines())


def shell_messages(path):
    """die's messages, and the 'cause; fix' lines echoed or printed, of one shell script."""
    text = without_comments(path)
    found = []
    for match in re.finditer(SHELL_MESSAGE, text):
        parts, _ = quoted(text, match.end())
        line = text.count("\n", 0, match.start()) + 1
        if match.group(1) == "die" or "; " in "".join(p for p in parts if p):
            found.append((f"{path.relative_to(ROOT)}:{line}", parts))
    return found


def make_messages(path):
    """make's $(error ...) of a makefile: the fixed text around its $(...) references."""
    found = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if (error := re.match(r"\$\(error (.*)\)$", line)) is not None:
            pieces = re.split(r"\$\([^)]*\)", error.group(1))
            parts = [p for piece in pieces for p in (piece, None)][:-1]
            found.append((f"{path.relative_to(ROOT)}:{n}", parts))
    return found


def string_parts(node):
    """The parts of a str or f-string expression: fixed text, and None for each value put in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) else None for v in node.values]
    return [None]


def error_classes(trees):
    """The Python scripts' own exception classes (their main prints them as 'error:')."""
    return {
        node.name
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(getattr(b, "id", "").endswith(("Exception", "Error")) for b in node.bases)
    }


def python_messages(trees):
    classes = error_classes(trees)
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                called = node.exc.func
                name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
                if name in classes:
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", string_parts(node.exc.args[0])))
    return found


def collect():
    """Every message: (where, its parts)."""
    scripts = sorted([*(ROOT / "scripts").rglob("*.sh"), *(ROOT / "docker").glob("*.sh")])
    trees = {
        p: ast.parse(p.read_text())
        for p in sorted([*(ROOT / "scripts").rglob("*.py"), *(ROOT / "docker").glob("*.py")])
    }
    return [
        *(m for path in scripts for m in shell_messages(path)),
        *make_messages(ROOT / "scripts" / "pipeline.mk"),
        *python_messages(trees),
    ]


def shown(parts):
    return "".join("…" if p is None else p for p in parts)


def cause_parts(parts):
    """The parts of the message's cause: up to its first "; " (or ": ", in one without "; ")."""
    mark = "; " if any(p and "; " in p for p in parts) else ": "
    cause = []
    for part in parts:
        cause.append(part if part is None else part.split(mark)[0])
        if part and mark in part:
            break
    return cause


ANY = "[^\0]+?"


def pattern(parts):
    """A regular expression for the parts, any text standing for each value."""
    return "".join(ANY if p is None else re.escape(p) for p in parts)


def runs(parts, starts=None):
    """Every run of the parts that starts at a word (among the first `starts` characters, values
    counting one) and holds WINDOW fixed characters, as a regular expression, with the longest
    fixed piece in it to look for first: a test that asserts any stretch of the message, values
    and all, holds one."""
    chars = []
    for part in parts:
        if part is not None:
            chars += part
        elif chars and chars[-1] is not None:
            chars.append(None)
    found = {}
    for i, c in enumerate(chars[:starts]):
        if c is None or not (c.isalnum() or c in "'\"([") or (i and chars[i - 1] not in (None, " ")):
            continue
        run, fixed = [], 0
        for c in chars[i:]:
            run.append(c)
            fixed += c is not None
            if fixed == WINDOW:
                pieces = "".join(c or "\0" for c in run).split("\0")
                found[pattern([p for piece in pieces for p in (piece, None)][:-1])] = max(pieces, key=len)
                break
    return found


def keys(messages):
    """For each message, the runs (regular expression: longest fixed piece) that tell it from
    every other message: those that start in its cause when any does, else any; and its whole
    cause."""
    texts = [shown(parts) for _, parts in messages]
    found = []
    for i, (_, parts) in enumerate(messages):
        others = "\0".join(texts[:i] + texts[i + 1 :])
        cause = cause_parts(parts)
        for starts in (len(shown(cause)), None):
            distinct = {k: v for k, v in runs(parts, starts).items() if not re.search(k, others)}
            if distinct:
                break
        while cause and cause[0] is None:
            cause.pop(0)
        if sum(len(p) for p in cause if p) >= MIN_FRAGMENT:
            distinct[pattern(cause)] = max((p for p in cause if p), key=len)
        found.append(distinct)
    return found


def strings_of_the_tests():
    """Every string of the tests under tests/pipeline but this file, regex escapes undone, with
    "…" for each value an f-string puts in."""
    found = []
    for path in sorted((ROOT / "tests" / "pipeline").rglob("*.py")):
        if path.resolve() != HERE:
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.Constant, ast.JoinedStr)) and (parts := string_parts(node)) != [
                    None
                ]:
                    found.append(re.sub(r"\\([^\w\s])", r"\1", shown(parts)))
    return "\0".join(found)


@pytest.fixture(scope="module")
def messages():
    """(where, text, triggered) of every message with fixed text enough to tell it by."""
    collected = [
        (where, parts) for where, parts in collect() if sum(len(p) for p in parts if p) >= MIN_FRAGMENT
    ]
    strings = strings_of_the_tests()
    found = []
    for (where, parts), pieces in zip(collected, keys(collected), strict=True):
        triggered = any(literal in strings and re.search(k, strings) for k, literal in pieces.items())
        found.append((where, shown(parts), triggered))
    return found


def allowed_entry(text):
    return next((phrase for phrase in ALLOWED if phrase in text), None)


def test_every_error_message_is_triggered_by_a_test_or_allowed(messages):
    untested = [
        f"{where}: {text}" for where, text, triggered in messages if not triggered and not allowed_entry(text)
    ]
    assert not untested, (
        f"{len(untested)} error messages no test under tests/pipeline triggers; test them, or add them to "
        "ALLOWED in this file with the reason:\n" + "\n".join(untested)
    )


def test_the_allow_list_names_messages_that_exist_and_no_test_triggers(messages):
    for phrase, reason in ALLOWED.items():
        matched = [(where, triggered) for where, text, triggered in messages if phrase in text]
        assert matched, f"ALLOWED names '{phrase}', which no message holds any more; remove it"
        assert not any(t for _, t in matched), (
            f"'{phrase}' is triggered by a test now; remove it from ALLOWED"
        )
        assert reason.strip(), phrase


def test_the_collector_finds_every_die_and_every_raise():
    # A die the collector misreads would drop its message silently: found apart, by line.
    dies = {
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, found.start()) + 1}"
        for path in [*(ROOT / "scripts").rglob("*.sh"), *(ROOT / "docker").glob("*.sh")]
        for text in [without_comments(path)]
        for found in re.finditer(r"(?<![\w-])die\b(?!\(\))", text)
    }
    collected = {where for where, _ in collect()}
    assert dies - collected == set(), "die without a message of its own text, or misread"
    assert any(where.startswith("scripts/pipeline.mk:") for where in collected)
    assert any(where.startswith("scripts/release/check_dist.py:") for where in collected)


def test_a_message_counts_as_tested_by_its_own_words_with_any_values_not_by_shared_ones():
    messages = [
        ("a.sh:1", ["the index at ", None, " does not answer; check ", None, " and run make again"]),
        ("b.sh:1", ["the wheel ", None, " does not install; check it and run make again"]),
    ]
    own, shared = keys(messages)

    def shows(key, text):
        return any(literal in text and re.search(k, text) for k, literal in key.items())

    assert shows(own, "index: error: the index at http://127.0.0.1:9/ does not answer")
    assert shows(shared, "the wheel x-1.0-py3-none-any.whl does not install")
    assert not shows(own, "and run make again")
    assert not shows(own, "the wheel x does not answer")
