# The pipeline's settings: each one's default, its help (make help prints it) and where it goes,
# written once, as "NAME ?= default## [where] help". Make exports every setting to the scripts;
# [where] says what else reads it, and make derives the lists from it (scripts/settings.awk):
#   container  the container's environment holds it (scripts/build/engine.sh passes it)
#   rebuild    the wheels are built again when it changes (it is in BUILD_DIR/settings)
#   rename, update-template, bench, adopt   that target alone gets it: it is not exported to the others
# The project's Makefile may set any of them, in the same form (its value counts, this line's
# [where] still holds); TESTS, TEST_REQUIRES and IMAGE_SETUP are the project's to set.

TESTS            ?= tests/package##            [rebuild] the package's own tests, run against each installed wheel
TEST_REQUIRES    ?=##                          [container rebuild] what the tests need besides pytest, e.g. "six numpy>=2"
IMAGE_SETUP      ?=##                          [rebuild] shell command installing what the build needs in the image, e.g. "dnf install -y libyaml-devel" (MANUAL.md, System libraries)
ARCH             ?= $(shell uname -m)##        [rebuild] one of: $(SUPPORTED_ARCHS)
MANYLINUX        ?= manylinux_2_28##           one of: $(SUPPORTED_MANYLINUX)
MANYLINUX_TAG    ?= 2026.10.26-1##             image tag, pinned so a release can be rebuilt
MANYLINUX_DIGEST ?= $(shell sed -n 's|^quay.io/pypa/$(MANYLINUX)_$(ARCH):$(MANYLINUX_TAG)@||p' scripts/image-digests.txt)## sha256:... of that image (scripts/image-digests.txt); empty: by its tag alone
MANYLINUX_IMAGE  ?= quay.io/pypa/$(MANYLINUX)_$(ARCH):$(MANYLINUX_TAG)$(if $(MANYLINUX_DIGEST),@$(MANYLINUX_DIGEST))## [rebuild] any image with /opt/python; may end in @sha256:...
CONTAINER_ENGINE ?= auto##                     [rebuild] docker, podman, none (host), auto: docker, podman or none
PYTHONS          ?=##                          [container rebuild] e.g. "cp311 cp314t"; empty: every CPython 3.9+; only those requires-python allows
FREE_THREADED    ?= 1##                        [container rebuild] 1: free-threaded interpreters (3.14t) too; 0: leave them out
PRERELEASE       ?= 0##                        [container rebuild] 1: pre-release interpreters (alpha, beta, rc) too; 0: leave them out
PLAT             ?=##                          [container rebuild] auditwheel target, e.g. manylinux_2_28_x86_64; empty: the image's
COMPILE_CACHE    ?= 1##                        [container] 1: reuse compiled objects (ccache, its store in CACHE_VOLUME); 0: compile all
STRIP            ?= 1##                        [container rebuild] 1: strip debug symbols from the libraries; 0: keep them
JOBS             ?= $(shell expr $$(nproc 2>/dev/null || echo 1) + 1)## [container] C files compiled, and interpreters verified, at once
SOURCE_DATE_EPOCH ?= $(shell scripts/build/source_date.sh)## [container rebuild] timestamp inside wheels and sdist: the last commit's
PYTEST_VERSION   ?= $(shell sed -n 's/^pytest==//p' scripts/tools.txt)## [container rebuild] pytest used for those tests
BUILD_DIR        ?= .build##                   tools, caches, intermediate wheels
DIST_DIR         ?= dist##                     the sdist
WHEELHOUSE       ?= wheelhouse##               repaired, verified wheels
CACHE_VOLUME     ?= $(or $(PACKAGE),project)-build-cache## [container] engine volume keeping uv and pip caches between runs
TOOLS_PYTHON     ?= python3##                  Python 3.10+ for the host tools environment
TOOLS            ?= $(BUILD_DIR)/tools##       the host tools environment (see scripts/tools.txt)
REPOSITORY       ?= pypi##                     upload to this .pypirc section: pypi, testpypi, local, ...
REPOSITORY_URL   ?=##                          upload to this URL instead (credentials: TWINE_USERNAME/PASSWORD)
PYPIRC           ?= ~/.pypirc##                twine's settings and credentials (see .pypirc.example)
SKIP_EXISTING    ?= 0##                        1: skip files already on the index (finish an interrupted upload)
DRY_RUN          ?= 0##                        1: upload shows what it would send, and where, and sends nothing
INDEX_URL        ?=##                          simple index check-published installs from; empty: the upload's
INDEX_HOST       ?= 127.0.0.1##                address of the local index (make index-start)
INDEX_PORT       ?= 8765##                     port of the local index
TEST_WORKERS     ?= 2##                        make test, test-all: tests run at once (pytest-xdist); 0: one at a time, in one process
REPEAT           ?= 3##                        [bench] runs of each contender, for the median and spread
LIB              ?=##                          [rename] the C library's new name (libLIB.so); empty: keep it
AUTHOR           ?=##                          [rename] author for setup.cfg and LICENSE; empty: keep it
AUTHOR_EMAIL     ?=##                          [rename] author_email for setup.cfg; empty: keep it
DESCRIPTION      ?=##                          [rename] one-line description for setup.cfg; empty: keep it
URL              ?=##                          [rename] project URL for setup.cfg; empty: keep it
FORCE            ?= 0##                        [rename] 1 renames even with uncommitted changes
TEMPLATE         ?=##                          [update-template] the template's URL or path; empty: .template's url, else origin
REF              ?=##                          [update-template] the template's tag or branch; empty: its default
INTO             ?=##                          [adopt] the existing project's git checkout to bring the pipeline into
V                ?= 0##                        [container] 1: show every command
TIMINGS          ?= 0##                        [container] 1: say how long each command of the pipeline took

# Read from the project's metadata, not set: the Python versions it supports (requires-python).
REQUIRES_PYTHON  := $(shell $(TOOLS_PYTHON) scripts/build/project.py --requires-python 2>/dev/null)## [container rebuild]

# The targets the pipeline builds for; make help lists them with ARCH and MANYLINUX.
SUPPORTED_ARCHS     := x86_64 aarch64 i686 ppc64le s390x
SUPPORTED_MANYLINUX := manylinux2014 manylinux_2_28 manylinux_2_34 musllinux_1_2
