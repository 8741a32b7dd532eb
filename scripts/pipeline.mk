# The pipeline's rules and settings, included by the project's Makefile (which sets TESTS and may
# override any setting here). It names no project: name, version and import package come from the
# project's metadata (scripts/project.py). Targets are documented as ".PHONY: name  ## text",
# settings as "NAME ?= default## text"; `make help` prints both.

# ---- settings --------------------------------------------------------------------------------
ARCH             ?= $(shell uname -m)##        one of: $(SUPPORTED_ARCHS)
MANYLINUX        ?= manylinux_2_28##           one of: $(SUPPORTED_MANYLINUX)
MANYLINUX_TAG    ?= 2026.10.26-1##             image tag, pinned so a release can be rebuilt
MANYLINUX_DIGEST ?= $(shell sed -n 's|^quay.io/pypa/$(MANYLINUX)_$(ARCH):$(MANYLINUX_TAG)@||p' scripts/image-digests.txt)## sha256:... of that image (scripts/image-digests.txt); empty: by its tag alone
MANYLINUX_IMAGE  ?= quay.io/pypa/$(MANYLINUX)_$(ARCH):$(MANYLINUX_TAG)$(if $(MANYLINUX_DIGEST),@$(MANYLINUX_DIGEST))## any image with /opt/python; may end in @sha256:...
CONTAINER_ENGINE ?= auto##                     docker, podman, none (host), auto: docker, podman or none
PYTHONS          ?=##                          e.g. "cp311 cp314t"; empty: every CPython 3.9+; only those requires-python allows
FREE_THREADED    ?= 1##                        1: free-threaded interpreters (3.14t) too; 0: leave them out
PRERELEASE       ?= 0##                        1: pre-release interpreters (alpha, beta, rc) too; 0: leave them out
PLAT             ?=##                          auditwheel target, e.g. manylinux_2_28_x86_64; empty: the image's
STRIP            ?= 1##                        1: strip debug symbols from the libraries; 0: keep them
JOBS             ?= $(shell expr $$(nproc 2>/dev/null || echo 1) + 1)## C files compiled, and interpreters verified, at once
SOURCE_DATE_EPOCH ?= $(shell scripts/source_date.sh)## timestamp inside wheels and sdist: the last commit's
PYTEST_VERSION   ?= $(shell sed -n 's/^pytest==//p' scripts/tools.txt)## pytest used for those tests
BUILD_DIR        ?= .build##                   tools, caches, intermediate wheels
DIST_DIR         ?= dist##                     the sdist
WHEELHOUSE       ?= wheelhouse##               repaired, verified wheels
CACHE_VOLUME     ?= $(or $(PACKAGE),project)-build-cache## engine volume keeping uv and pip caches between runs
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
REPEAT           ?= 3##                        make bench: runs of each contender, for the median and spread
LIB              ?=##                          make rename: the C library's new name (libLIB.so); empty: keep it
AUTHOR           ?=##                          make rename: author for setup.cfg and LICENSE; empty: keep it
AUTHOR_EMAIL     ?=##                          make rename: author_email for setup.cfg; empty: keep it
DESCRIPTION      ?=##                          make rename: one-line description for setup.cfg; empty: keep it
URL              ?=##                          make rename: project URL for setup.cfg; empty: keep it
FORCE            ?= 0##                        make rename: 1 renames even with uncommitted changes
TEMPLATE         ?=##                          make update-template: the template's URL or path; empty: .template's url, else origin
REF              ?=##                          make update-template: the template's tag or branch; empty: its default
V                ?= 0##                        1: show every command
TIMINGS          ?= 0##                        1: say how long each command of the pipeline took
# ----------------------------------------------------------------------------------------------

# A password or token given as make's argument is in ps and the shell's history for anyone to
# read. A user name is no secret (for a PyPI token it is always __token__) and stays allowed.
ifeq ($(origin TWINE_PASSWORD),command line)
$(error TWINE_PASSWORD is on make's command line, where ps and the shell's history show it; set it in the environment instead (read -rs TWINE_PASSWORD; export TWINE_PASSWORD), or in .pypirc (PYPIRC) or keyring)
endif

# The project's name, version, import package and file-name prefix, from setup.cfg or
# pyproject.toml; empty when they cannot be read, and scripts/sdist.sh then says why.
# PACKAGE may be set to override the import package.
PROJECT      := $(shell $(TOOLS_PYTHON) scripts/project.py 2>/dev/null)
PROJECT_NAME := $(word 1,$(PROJECT))
VERSION      := $(word 2,$(PROJECT))
PACKAGE      := $(or $(PACKAGE),$(word 3,$(PROJECT)))
DIST_PREFIX  := $(word 4,$(PROJECT))
# The Python versions the project supports (requires-python): the interpreters outside are left out.
REQUIRES_PYTHON := $(shell $(TOOLS_PYTHON) scripts/project.py --requires-python 2>/dev/null)
SDIST    := $(DIST_DIR)/$(DIST_PREFIX)-$(VERSION).tar.gz
# The sdist the wheels are built from; it reaches DIST_DIR with the wheels that passed (or by make sdist).
BUILT_SDIST := $(BUILD_DIR)/sdist/$(notdir $(SDIST))
# The package's folders too: a file moved or removed changes its folder's time, not a file's.
SOURCES  := $(wildcard setup.py setup.cfg pyproject.toml MANIFEST.in README.md LICENSE) \
            $(if $(PACKAGE),$(shell find $(PACKAGE) ! -name '*.pyc' ! -name '*.o' ! -name '*.so' \
                                     ! -name __pycache__ 2>/dev/null))
# Each target's tools, a group of scripts/tools.txt (make, upload, index, lint, test), installed
# on its first use and again when the pins change: $(call tools,GROUP...) names their stamps,
# which scripts/tools.sh writes once a group is complete.
TOOL_GROUPS := $(shell sed -n 's/^\#\# \([a-z]*\):.*/\1/p' scripts/tools.txt)
tools = $(foreach group,$(1),$(TOOLS)/.installed-$(group))
PIPELINE := scripts/step.sh scripts/lib.sh scripts/compiled.py $(wildcard docker/*) \
            $(shell find $(TESTS) -type f ! -name '*.pyc' 2>/dev/null) $(BUILD_DIR)/settings

# One word for the shell, whatever the value holds.
quote = '$(subst ','\'',$(1))'
# Make's process: the lock below lasts as long as it, and this run's containers carry it.
MAKE_PID := $(shell echo $$PPID)
# Refuse a path setting make or the scripts cannot use, and let one run at a time work in the
# checkout (these goals read it only, as make -n and -q do: they change nothing, not even by
# making BUILD_DIR for the lock); both before anything runs, with one line.
MAKE_SWITCHES := $(firstword -$(MAKEFLAGS))
SHOW_ONLY := $(findstring n,$(MAKE_SWITCHES))$(findstring q,$(MAKE_SWITCHES))
LOCK := $(if $(SHOW_ONLY),,$(if $(filter-out help config lint test test-all index-start index-stop,$(or $(MAKECMDGOALS),all)),lock))
CHECKOUT_ERROR := $(shell scripts/checkout.sh $(MAKE_PID) '$(LOCK)' \
  BUILD_DIR=$(call quote,$(BUILD_DIR)) TOOLS=$(call quote,$(TOOLS)) \
  DIST_DIR=$(call quote,$(DIST_DIR)) WHEELHOUSE=$(call quote,$(WHEELHOUSE)))
ifneq ($(CHECKOUT_ERROR),)
$(error $(CHECKOUT_ERROR))
endif

export ARCH MANYLINUX MANYLINUX_IMAGE CONTAINER_ENGINE PYTHONS FREE_THREADED PRERELEASE PLAT STRIP JOBS \
       SOURCE_DATE_EPOCH TESTS TEST_REQUIRES \
       PYTEST_VERSION BUILD_DIR DIST_DIR WHEELHOUSE CACHE_VOLUME TOOLS_PYTHON V TIMINGS BUILT_SDIST DIST_PREFIX MAKE_PID
export PROJECT_NAME VERSION PACKAGE REQUIRES_PYTHON
# Not $(abspath): it splits a checkout path with spaces into words.
export TOOLS_BIN := $(if $(filter /%,$(TOOLS)),$(TOOLS),$(CURDIR)/$(TOOLS))/bin
export REPOSITORY REPOSITORY_URL PYPIRC SKIP_EXISTING DRY_RUN INDEX_URL INDEX_HOST INDEX_PORT
# uv on the host trusts the machine's certificate store, as git, curl and the system's pip do, so
# that a proxy or an index with a CA of the organisation's works as it does for them.
export UV_SYSTEM_CERTS ?= 1

ifneq ($(V),1)
.SILENT:
endif

.DEFAULT_GOAL := all
.PHONY: all  ## sdist, wheels, repair and verify; then list what was made (the main job)
all: config wheels repair
	echo "$(WHEELHOUSE)/:"; ls -1 "$(WHEELHOUSE)" | sed 's/^/  /'
	echo "$(DIST_DIR)/:"; ls -1 "$(DIST_DIR)" | sed 's/^/  /'

# When this run goes on to repair, one container builds, repairs and verifies: the wheels' rule
# then only marks them out of date, and repair's builds them first. Its step builds the sdist
# too, while the container starts, unless this run is to put the sdist in DIST_DIR first or the
# project's metadata cannot be read (scripts/sdist.sh then says why, before any container): the
# sdist's rule then only marks it out of date (removed, so that make sees it changed).
ONE_CONTAINER := $(filter all repair,$(or $(MAKECMDGOALS),all))
SDIST_IN_STEP := $(if $(filter sdist $(SDIST),$(MAKECMDGOALS)),,$(if $(PROJECT),$(ONE_CONTAINER)))

.PHONY: sdist  ## build the source distribution into DIST_DIR
sdist: $(SDIST)
$(SDIST): $(BUILT_SDIST)
	scripts/install.sh "$(DIST_DIR)" "$<"
$(BUILT_SDIST): $(SOURCES) scripts/sdist.sh scripts/normalize_sdist.py | $(call tools,make)
ifneq ($(SDIST_IN_STEP),)
	$(eval SDIST_STALE := 1)
	rm -f "$@"
else
	scripts/sdist.sh "$(@D)"
endif

# Stamps stand for steps done; the outputs they made are checked too, so a deleted wheel, sdist
# or folder, or a new WHEELHOUSE or DIST_DIR, makes the step run again.
WHEELS_STAMP := $(BUILD_DIR)/wheels.stamp
REPAIR_STAMP := $(BUILD_DIR)/repair.stamp
# The wheels the last repair put in WHEELHOUSE, one name a line (written by scripts/step.sh).
PUBLISHED := $(addprefix $(WHEELHOUSE)/,$(file <$(BUILD_DIR)/published))
OUTPUTS_GONE := $(if $(PUBLISHED),$(filter-out $(wildcard $(PUBLISHED) $(SDIST)),$(PUBLISHED) $(SDIST)),none listed)

.PHONY: wheels  ## build wheels from the sdist in one container, for every interpreter in PYTHONS
wheels: config $(WHEELS_STAMP)
$(WHEELS_STAMP): $(BUILT_SDIST) $(PIPELINE) $(if $(wildcard $(BUILD_DIR)/wheels/*.whl),,FORCE) | $(call tools,make)
ifneq ($(ONE_CONTAINER),)
	rm -f "$@"
else
	scripts/step.sh wheels
	touch "$@"
endif

.PHONY: repair  ## auditwheel repair to PLAT, then test each wheel under every interpreter
repair: config $(REPAIR_STAMP)
$(REPAIR_STAMP): $(WHEELS_STAMP) $(if $(OUTPUTS_GONE),FORCE) | $(call tools,make)
	if [ -e "$<" ]; then scripts/step.sh repair; else SDIST_STALE=$(SDIST_STALE) scripts/step.sh wheels+repair && touch "$<"; fi
	touch "$@"

.PHONY: verify  ## test the wheels in WHEELHOUSE again, each in a fresh environment per interpreter
verify: config | $(call tools,make)
	scripts/step.sh verify

.PHONY: config  ## check ARCH, MANYLINUX and PLAT; show the image and repair policy they select
config:
	scripts/step.sh config

.PHONY: upload  ## check WHEELHOUSE and the sdist, then twine upload them to REPOSITORY (or REPOSITORY_URL)
upload: | $(call tools,upload)
	scripts/upload.sh

.PHONY: check-published  ## install the uploaded version from that index in a fresh venv and run TESTS
check-published: | $(call tools,upload)
	scripts/check_published.sh

.PHONY: index-start  ## start a local package index to rehearse a release (make upload REPOSITORY=local)
index-start: | $(call tools,index)
	scripts/index.sh start

.PHONY: index-stop  ## stop the local package index (its packages stay in BUILD_DIR/index)
index-stop:
	scripts/index.sh stop

.PHONY: develop  ## build the compiled part in place on the host, for pytest against the working tree (BUILD_DIR/develop)
develop: | $(call tools,make)
	scripts/develop.sh

.PHONY: test  ## run the project's tests but the slow ones (pytest tests/pipeline; container tests need an engine)
test: | $(call tools,$(TOOL_GROUPS))
	$(PYTEST) -m 'not slow' $(PYTEST_ARGS)

.PHONY: test-all  ## run every test, the slow ones too: stress and upstream-library trials (what CI runs)
test-all: | $(call tools,$(TOOL_GROUPS))
	$(PYTEST) $(PYTEST_ARGS)
# Tests of one xdist_group share a worker, and so the builds their fixtures make.
PYTEST = "$(TOOLS)/bin/python" -m pytest --numprocesses=$(call quote,$(TEST_WORKERS)) --dist=loadgroup

.PHONY: bench  ## time make against cibuildwheel and the old recipe (REPEAT runs); writes bench/results.md
bench: | $(call tools,make)
	REPEAT=$(REPEAT) "$(TOOLS)/bin/python" bench/bench.py

.PHONY: lint  ## shellcheck the scripts and ruff the Python files
lint: | $(call tools,lint)
	"$(TOOLS)/bin/shellcheck" scripts/*.sh docker/*.sh bench/*.sh .ci/run
	"$(TOOLS)/bin/ruff" check .
	"$(TOOLS)/bin/ruff" format --check .

.PHONY: tools  ## install all the pinned host tools into TOOLS (each target installs its own on first use)
tools: $(call tools,$(TOOL_GROUPS))
# The first group makes the environment the others go into: one at a time, even under -j.
$(call tools,$(filter-out make,$(TOOL_GROUPS))): | $(call tools,make)
$(TOOLS)/.installed-%: scripts/tools.txt scripts/tools.lock scripts/tools.sh
	scripts/tools.sh "$(TOOLS)" $*

.PHONY: clean  ## remove everything the build made (the tools environment too)
# Of DIST_DIR and WHEELHOUSE only this project's files: they may be shared with other projects.
# The compiled files make develop put beside the package go too.
clean:
	scripts/develop.sh clean
	rm -rf "$(BUILD_DIR)"
	rm -f "$(WHEELHOUSE)/$(DIST_PREFIX)-"*.whl "$(DIST_DIR)/$(DIST_PREFIX)-"*.tar.gz
	rmdir "$(WHEELHOUSE)" "$(DIST_DIR)" 2>/dev/null || true

.PHONY: rename  ## make the template your project: make rename NAME=my-pkg [LIB=... AUTHOR=... URL=...]
# NAME is rename's alone: the project's current name is PROJECT_NAME, read from its metadata.
rename: export LIB := $(LIB)
rename: export AUTHOR := $(AUTHOR)
rename: export AUTHOR_EMAIL := $(AUTHOR_EMAIL)
rename: export DESCRIPTION := $(DESCRIPTION)
rename: export URL := $(URL)
rename: export FORCE := $(FORCE)
rename: | $(call tools,lint)
	"$(TOOLS)/bin/python" scripts/rename.py

.PHONY: update-template  ## merge the template's later changes into the pipeline's files: [TEMPLATE=... REF=...]
update-template: export TEMPLATE := $(TEMPLATE)
update-template: export REF := $(REF)
update-template:
	$(TOOLS_PYTHON) scripts/update_template.py

.PHONY: help  ## list the targets and the settings with their defaults
help:
	bash -c '. scripts/lib.sh && export SUPPORTED_ARCHS SUPPORTED_MANYLINUX && awk -f scripts/help.awk "$$@"' \
	  help $(MAKEFILE_LIST)

# The settings a build depends on; the file changes only when they do, so make rebuilds then.
# A build on the host (as scripts/step.sh chooses it) depends on the interpreters it finds too:
# installing python3.14 verifies again.
HOST_BUILD = $(or $(filter none,$(CONTAINER_ENGINE)),$(and $(filter auto,$(CONTAINER_ENGINE)),$(if $(shell command -v docker podman),,none)))
HOST_PYTHONS = $(shell PYTHONS='$(PYTHONS)' FREE_THREADED='$(FREE_THREADED)' PRERELEASE='$(PRERELEASE)' \
                 REQUIRES_PYTHON=$(call quote,$(REQUIRES_PYTHON)) \
                 bash -c 'source scripts/lib.sh && select_pythons' 2>/dev/null)
SETTINGS = $(MANYLINUX_IMAGE) $(CONTAINER_ENGINE) $(PYTHONS) $(FREE_THREADED) $(PRERELEASE) $(PLAT) $(STRIP) \
           $(SOURCE_DATE_EPOCH) $(TESTS) $(TEST_REQUIRES) $(REQUIRES_PYTHON) $(if $(HOST_BUILD),$(HOST_PYTHONS))
$(BUILD_DIR)/settings: FORCE
	mkdir -p "$(@D)"
	settings='$(SETTINGS)'; echo "$$settings" | cmp -s - "$@" || echo "$$settings" >"$@"
.PHONY: FORCE
FORCE:
