"""minty's own tests: run against the installed wheel, from outside the source tree (or, in the
environment of make develop, against the working tree)."""

import contextlib
import math
import os
import re
import sys
import sysconfig
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import minty


def test_imports_the_installed_package_not_the_source_tree():
    # Installed means in this interpreter's own library folders: a copy found on sys.path from
    # the source tree (or an editable install pointing there) is elsewhere.
    module = Path(minty.__file__).resolve()
    installed = {Path(sysconfig.get_path(kind)).resolve() for kind in ("purelib", "platlib")}
    # make develop's environment imports the working tree on purpose, through this file alone.
    develop = Path(sysconfig.get_path("purelib"), "_develop_checkout.pth")
    if develop.is_file():
        installed.add(Path(develop.read_text().strip()).resolve())
    assert any(folder in module.parents for folder in installed), (module, installed)
    assert os.path.exists(minty.library_path())
    assert module.parent in Path(minty.library_path()).resolve().parents


def test_library_reports_its_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", minty.library_version())


def test_spanning_tree_of_a_square_with_a_diagonal():
    edges = [(0, 1, 1.0), (1, 2, 2.0), (2, 3, 1.5), (3, 0, 4.0), (0, 2, 0.5)]
    total, tree = minty.spanning_tree(4, edges)
    assert total == pytest.approx(3.0)
    assert tree == [(0, 2, 0.5), (0, 1, 1.0), (2, 3, 1.5)]


def test_single_vertex_has_an_empty_tree():
    assert minty.spanning_tree(1, []) == (0.0, [])


def test_equal_weights_keep_input_order():
    edges = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0)]
    assert minty.spanning_tree(3, edges)[1] == edges[:2]


@contextlib.contextmanager
def raises_exactly(kind, match):
    """pytest.raises for kind itself: MintyError is a ValueError, and the two must not pass for
    each other (the library's refusal, or the Python side's check before the call)."""
    with pytest.raises(kind, match=match) as raised:
        yield
    assert raised.type is kind, f"raised {raised.type.__name__}, not {kind.__name__}: {raised.value}"


def test_disconnected_graph_is_an_error():
    with raises_exactly(minty.MintyError, "not connected"):
        minty.spanning_tree(4, [(0, 1, 1.0), (2, 3, 1.0)])


@pytest.mark.parametrize(
    ("edge", "kind", "match"),
    [((0, 5, 1.0), minty.MintyError, "out of range"), ((-1, 0, 1.0), ValueError, "negative")],
)
def test_vertex_out_of_range_is_an_error(edge, kind, match):
    with raises_exactly(kind, match):
        minty.spanning_tree(3, [edge])


def test_nan_weight_is_an_error():
    with raises_exactly(minty.MintyError, "NaN"):
        minty.spanning_tree(2, [(0, 1, math.nan)])


def test_zero_vertices_is_an_error():
    with raises_exactly(ValueError, "positive"):
        minty.spanning_tree(0, [])


@pytest.mark.parametrize("threads", [0, 1, 3, 8])
def test_parallel_sum_matches_fsum(threads):
    values = [((i * 7919) % 1000) / 7.0 for i in range(20_000)]
    assert minty.parallel_sum(values, threads) == pytest.approx(math.fsum(values), rel=1e-12)


def test_parallel_sum_of_nothing_is_zero():
    assert minty.parallel_sum([]) == 0.0


def test_parallel_sum_rejects_nan():
    with raises_exactly(minty.MintyError, "NaN"):
        minty.parallel_sum([1.0, math.nan], threads=2)


def test_parallel_sum_rejects_negative_threads():
    with raises_exactly(ValueError, "non-negative"):
        minty.parallel_sum([1.0], threads=-1)


def graph(seed, n_vertices=1000):
    """A connected graph whose weights, and so whose tree, depend on seed."""
    edges = [(i, i + 1, float((i * 31 + seed * 17) % 97)) for i in range(n_vertices - 1)]
    edges += [(i, (i * 7 + seed) % n_vertices, (i * 13 + seed * 5) % 89 + 0.5) for i in range(n_vertices)]
    return n_vertices, edges


def test_library_gives_each_thread_its_own_answer_when_called_at_once():
    # Threads call the library at the same moment, each with its own inputs, over and over. ctypes
    # lets go of the GIL during each call, and a free-threaded build has none, so state shared
    # inside the library would show as another thread's answer.
    count, rounds = 8, 10
    graphs = [graph(seed) for seed in range(count)]
    values = [[((i * 7919 + seed) % 1000) / 7.0 for i in range(5_000)] for seed in range(count)]

    def answer(seed):
        return minty.spanning_tree(*graphs[seed]), minty.parallel_sum(values[seed], threads=2)

    expected = [answer(seed) for seed in range(count)]
    # A thread that never arrives (one that failed) breaks the barrier instead of hanging the rest.
    start = threading.Barrier(count, timeout=60)

    def wrong_answers(seed):
        start.wait()
        return sum(answer(seed) != expected[seed] for _ in range(rounds))

    # result() raises what a thread raised: an error there fails the test, not the thread alone.
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(wrong_answers, seed) for seed in range(count)]
        wrong = [future.result() for future in futures]
    assert wrong == [0] * count
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        # Loading the package must not bring the GIL back, or this test proved less than it says.
        assert not sys._is_gil_enabled()


def test_a_function_the_library_does_not_export_fails_the_import_naming_it_and_the_fix(monkeypatch):
    from minty import _loader

    monkeypatch.setitem(_loader.FUNCTIONS, "mstp_not_exported", (None, []))
    with pytest.raises(ImportError) as raised:
        _loader.load_library()
    message = str(raised.value)
    assert f"{_loader.LIBRARY_NAME} does not export mstp_not_exported" in message
    assert "MSTP_API" in message
    assert "exports.txt" in message
