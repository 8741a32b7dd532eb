"""make rename's rules, tested in-process on made-up names (fast); test_rename.py runs it for real."""

from pathlib import Path

import name_rules
import ownership
import pytest
import rewrite
import template


@pytest.fixture
def renamer():
    """old-graphs (import old_graphs, library libogc) becomes new-pkg (new_pkg, libnewc)."""
    return rewrite.Renamer("old-graphs", "new-pkg", [("old_graphs", "new_pkg"), ("ogc", "newc")])


@pytest.mark.parametrize(
    ("line", "suffix", "renamed"),
    [
        ("import old_graphs", ".py", "import new_pkg"),
        ("class OldGraphsError(ValueError):", ".py", "class NewPkgError(ValueError):"),
        ("#define OLD_GRAPHS_API", ".h", "#define NEW_PKG_API"),
        ("pip install old-graphs", ".md", "pip install new-pkg"),
        ("pip install old_graphs==1.0", ".md", "pip install new-pkg==1.0"),
        ("https://pypi.org/project/old-graphs/", ".md", "https://pypi.org/project/new-pkg/"),
        ("name = old-graphs", ".cfg", "name = new-pkg"),
        ("# old_graphs", ".md", "# new-pkg"),
        ("old_graphs 1.0.0 is out", ".md", "new-pkg 1.0.0 is out"),
        ("dist/old_graphs-1.0.0.tar.gz", ".md", "dist/new_pkg-1.0.0.tar.gz"),
        ("LIBNAME ?= libogc.so", "", "LIBNAME ?= libnewc.so"),
        ("cc -logc ogc.c -o ogclib/x", "", "cc -lnewc newc.c -o newclib/x"),
        ("int ogc_sum(void); OGC_API", ".h", "int newc_sum(void); NEWC_API"),
        # A library's CamelCase names are its upstream's, called by the user's code: kept.
        ("lib.OgcEncoderCompress.restype = Ogc", ".py", "lib.OgcEncoderCompress.restype = Ogc"),
        ("'OGC_versionNumber': (c_uint, []), OGC_API", ".py", "'OGC_versionNumber': (c_uint, []), NEWC_API"),
        # Inside a longer word the name is something else.
        ("myogc_sum, old_graphsx, OGCX", ".c", "myogc_sum, old_graphsx, OGCX"),
        ("from old_graphs import x  # rename: keep", ".py", "from old_graphs import x  # rename: keep"),
    ],
)
def test_each_spelling_becomes_the_new_one(renamer, line, suffix, renamed):
    assert renamer.text(line, suffix) == renamed


@pytest.mark.parametrize(
    ("line", "renamed"),
    [
        # The names as identifiers of their own, and in the forms the template derives from them.
        ("import tree; tree.TreeError; TREE_API", "import forest; forest.ForestError; FOREST_API"),
        ("tests/package/test_tree.py", "tests/package/test_forest.py"),
        ("libzorp.so zorplib zorp_sum ZORP_OK", "libwood.so woodlib wood_sum WOOD_OK"),
        # Inside another identifier they are part of that one, which stays.
        (
            "spanning_tree(); SpanningTree; SPANNING_TREE; Treetop",
            "spanning_tree(); SpanningTree; SPANNING_TREE; Treetop",
        ),
        ("zorp_spanning_tree(); unzorp_x; MY_ZORP_OK", "wood_spanning_tree(); unzorp_x; MY_ZORP_OK"),
    ],
)
def test_only_whole_identifiers_are_renamed(line, renamed):
    """NAME=tree, then NAME=forest: the public spanning_tree keeps its name."""
    assert (
        rewrite.Renamer("tree", "forest", [("tree", "forest"), ("zorp", "wood")]).text(line, ".py") == renamed
    )


def test_a_package_named_after_the_library_stays_whole():
    """zorp_tools is the package, not the library's zorp_ prefix."""
    renamer = rewrite.Renamer("zorp-tools", "kit", [("zorp_tools", "kit"), ("zorp", "wood")])
    assert renamer.text("import zorp_tools; zorp_sum", ".py") == "import kit; wood_sum"


def test_each_line_keeps_its_line_ending(renamer):
    text = "[metadata]\r\nname = old-graphs\r\nauthor = A\r\npackages = old_graphs\nlast"
    new = rewrite.rewrite("setup.cfg", text, renamer, {"author": "Ada"}, {})
    assert new == "[metadata]\r\nname = new-pkg\r\nauthor = Ada\r\npackages = new_pkg\nlast"


def test_names_in_paths(renamer):
    assert renamer.name("test_old_graphs.py") == "test_new_pkg.py"
    assert renamer.name("ogclib") == "newclib"
    assert renamer.name("ogc.c") == "newc.c"


def test_folders_move_before_the_files_in_them(renamer):
    planned = rewrite.moves(["old_graphs/ogclib/ogc.c", "old_graphs/ogclib/Makefile", "setup.py"], renamer)
    assert [(str(source), str(target)) for _, source, target in planned] == [
        ("old_graphs", "new_pkg"),
        ("new_pkg/ogclib", "new_pkg/newclib"),
        ("new_pkg/newclib/ogc.c", "new_pkg/newclib/newc.c"),
    ]


def test_the_folders_given_move_even_with_no_file_listed_in_them(renamer):
    """The C library's, when every file in it is the fork's own: its name follows the library's."""
    planned = rewrite.moves(["setup.py"], renamer, ["old_graphs/ogclib"])
    assert [(str(source), str(target)) for _, source, target in planned] == [
        ("old_graphs", "new_pkg"),
        ("new_pkg/ogclib", "new_pkg/newclib"),
    ]


def test_only_the_listed_files_move(renamer):
    """A file beside the shipped ones, vendored code say, is not planned: it moves with its folder."""
    planned = rewrite.moves(["old_graphs/ogclib/ogc.c"], renamer)
    assert Path("old_graphs/ogclib/ogc_vendored.c") not in [path for path, _, _ in planned]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "NAME is empty"),
        ("my pkg", "not a valid distribution name"),
        ("9lives", "not a Python identifier"),
        ("class", "a Python keyword"),
        ("json", "a standard library module"),
        ("Old.Graphs", "the project's current name"),
        ("a" * 101, "NAME is 101 characters long, and at most 100"),
    ],
)
def test_a_bad_name_is_refused(name, reason):
    with pytest.raises(template.Problem, match=reason):
        name_rules.check_name(name, "old-graphs")


def test_a_library_name_too_long_for_its_file_names_is_refused():
    with pytest.raises(template.Problem, match="LIB is 101 characters long, and at most 100"):
        name_rules.check_lib("c" * 101, "ogc")


def test_a_name_gives_its_normal_form_and_import_name():
    assert name_rules.check_name("My.Fine__Pkg", "old-graphs") == ("my-fine-pkg", "my_fine_pkg")


def test_setup_cfg_gets_the_fields_given():
    text = "author = A\nurl = u\n"
    cfg = rewrite.set_fields("setup.cfg", text, text, {"author": "Ada \\1", "url": ""})
    assert cfg == "author = Ada \\1\nurl = u\n"


def test_license_gets_the_author_on_the_projects_own_lines_only(renamer):
    """The project's line names setup.cfg's author or the project; the others are other holders'."""
    text = (
        "Copyright (c) 2026 The old_graphs authors\n"
        "Copyright (c) 2019-2024 Someone\n"
        "Portions: Copyright (c) 2010 Zlib people\n"
        "Copyright (C) 2001, 2004 Other Folks\n"
    )
    old = {"author": "Someone", "names": renamer}
    assert rewrite.holder_lines(text.split("\n"), old) == ([0, 1], [3])
    assert rewrite.set_fields("LICENSE", text, text, {"author": "Ada"}, old) == (
        "Copyright (c) 2026 Ada\n"
        "Copyright (c) 2019-2024 Ada\n"
        "Portions: Copyright (c) 2010 Zlib people\n"
        "Copyright (C) 2001, 2004 Other Folks\n"
    )


def test_the_readme_gets_the_description_where_the_old_one_stood(renamer):
    """Even where renaming changed that line's words first."""
    original = "# old-graphs\n\nOldGraphs for all\n\nOldGraphs for all, and more\n"
    renamed = renamer.text(original, ".md")
    assert renamed == "# new-pkg\n\nNewPkg for all\n\nNewPkg for all, and more\n"
    old = {"description": "OldGraphs for all"}
    readme = rewrite.set_fields("README.md", original, renamed, {"description": "Trees"}, old)
    assert readme == "# new-pkg\n\nTrees\n\nNewPkg for all, and more\n"


def test_the_readme_links_under_the_url_given(renamer):
    original = "[MANUAL.md](https://github.com/old/old-graphs/blob/HEAD/MANUAL.md)\n"
    renamed = renamer.text(original, ".md")
    old = {"url": renamer.text("https://github.com/old/old-graphs", ".md")}
    readme = rewrite.set_fields("README.md", original, renamed, {"url": "https://ada.example/trees"}, old)
    assert readme == "[MANUAL.md](https://ada.example/trees/blob/HEAD/MANUAL.md)\n"
    # Without a URL the link is renamed with the rest.
    assert rewrite.set_fields("README.md", original, renamed, {"url": ""}, old) == renamed


def test_a_kept_file_name_stays_wherever_text_names_it():
    """Files rename does not move keep their names in the files it rewrites; the names are still
    renamed elsewhere, and in paths."""
    renamer = rewrite.Renamer(
        "old-graphs", "new-pkg", [("old_graphs", "new_pkg"), ("ogc", "newc")], ["ogc.h"]
    )
    assert renamer.text('#include "ogc.h" /* ogc_sum, ogc.c, src/ogc.h */', ".c") == (
        '#include "ogc.h" /* newc_sum, newc.c, src/ogc.h */'
    )
    assert renamer.name("ogc.h") == "newc.h"
    assert not renamer.mentions('#include "ogc.h"')
    assert renamer.mentions('#include "ogc.h" // ogc.c')


@pytest.mark.parametrize(
    ("line", "mentions"),
    [
        ("import old_graphs", True),
        ("see old-graphs on PyPI", True),
        ('#include "ogc.h"', True),
        ("libogc.so, ogclib/, -logc, OGC", True),
        # Part of a longer name: an upstream's own (Zstandard beside zstd), not an old name.
        ("OGC_compress(ogc_ctx); OgcEncoder; Ogcish; myogc; OLD_GRAPHS_H; old_graphsx", False),
    ],
)
def test_the_old_names_left_are_whole_names_only(renamer, line, mentions):
    assert renamer.mentions(line) is mentions


# A shipped C file as rename wrote it, and what a fork may make of it.
WROTE = "\n".join(f"int ogc_f{n}(void) {{ return OGC_OK + {n}; }}" for n in range(20)) + "\n#endif\n}\n"


@pytest.mark.parametrize(
    ("now", "derived"),
    [
        (WROTE, True),
        # Another line ending, indentation, order: the same lines.
        ("\r\n".join(f"    {line}" for line in reversed(WROTE.splitlines())), True),
        # Functions of the fork's own added, a few lines changed: still the template's file.
        (WROTE.replace("return OGC_OK + 1;", "return 1;") + "int mine(void) { return 0; }\n" * 30, True),
        # Upstream's file of the same name: shares an #endif and braces, not half.
        ("#ifndef UP_H\n#define UP_H\n{\n}\nint up(void);\n#endif\n" * 3, False),
        # Most of it rewritten.
        ("\n".join(WROTE.splitlines()[:4]) + "\nint other(void);\n", False),
        ("", False),
    ],
)
def test_a_file_is_the_templates_while_half_the_lines_rename_wrote_are_left(now, derived):
    recorded = ownership.fingerprint(WROTE.encode())
    assert len(recorded) == ownership.SAMPLE * ownership.DIGITS
    assert ownership.derives(recorded, now.encode()) is derived
    # A file the record has no fingerprint for (the template's own record) is the template's.
    assert ownership.derives("", now.encode())
