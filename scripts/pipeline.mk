# The pipeline's rules, included by the project's Makefile (which sets TESTS and may override any
# setting). Its settings are in scripts/settings.mk. It names no project: name, version and import
# package come from the project's metadata (scripts/build/project.py). Targets are documented as
# ".PHONY: name  ## text"; `make help` prints them with the settings.

include scripts/settings.mk

# A password or token given as make's argument is in ps and the shell's history for anyone to
# read. A user name is no secret (for a PyPI token it is always __token__) and stays allowed.
ifeq ($(origin TWINE_PASSWORD),command line)
$(error TWINE_PASSWORD is on make's command line, where ps and the shell's history show it; set it in the environment instead (read -rs TWINE_PASSWORD; export TWINE_PASSWORD), or in .pypirc (PYPIRC) or keyring)
endif

# The project's name, version, import package and file-name prefix, from setup.cfg or
# pyproject.toml; empty when they cannot be read, and scripts/build/sdist.sh then says why.
# PACKAGE may be set to override the import package.
PROJECT      := $(shell $(TOOLS_PYTHON) scripts/build/project.py 2>/dev/null)
PROJECT_NAME := $(word 1,$(PROJECT))
VERSION      := $(word 2,$(PROJECT))
PACKAGE      := $(or $(PACKAGE),$(word 3,$(PROJECT)))
DIST_PREFIX  := $(word 4,$(PROJECT))
SDIST    := $(DIST_DIR)/$(DIST_PREFIX)-$(VERSION).tar.gz
# The sdist the wheels are built from; it reaches DIST_DIR with the wheels that passed (or by make sdist).
BUILT_SDIST := $(BUILD_DIR)/sdist/$(notdir $(SDIST))
# The package's folders too: a file moved or removed changes its folder's time, not a file's.
SOURCES  := $(wildcard setup.py setup.cfg pyproject.toml MANIFEST.in README.md LICENSE) \
            $(if $(PACKAGE),$(shell find $(PACKAGE) ! -name '*.pyc' ! -name '*.o' ! -name '*.so' \
                                     ! -name __pycache__ 2>/dev/null))
# Each target's tools, a group of scripts/tools.txt (make, upload, index, lint, test), installed
# on its first use and again when the pins change: $(call tools,GROUP...) names their stamps,
# which scripts/tools/tools.sh writes once a group is complete.
TOOL_GROUPS := $(shell sed -n 's/^\#\# \([a-z]*\):.*/\1/p' scripts/tools.txt)
tools = $(foreach group,$(1),$(TOOLS)/.installed-$(group))
PIPELINE := scripts/build/step.sh scripts/build/engine.sh scripts/build/publish.sh scripts/lib.sh $(filter-out %/__pycache__,$(wildcard docker/*)) \
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
CHECKOUT_ERROR := $(shell scripts/build/checkout.sh $(MAKE_PID) '$(LOCK)' \
  BUILD_DIR=$(call quote,$(BUILD_DIR)) TOOLS=$(call quote,$(TOOLS)) \
  DIST_DIR=$(call quote,$(DIST_DIR)) WHEELHOUSE=$(call quote,$(WHEELHOUSE)))
ifneq ($(CHECKOUT_ERROR),)
$(error $(CHECKOUT_ERROR))
endif

# What the table says of each setting (scripts/settings.mk): NAME:WHERE... words.
SETTING_TABLE := $(shell awk -v list=1 -f scripts/settings.awk $(MAKEFILE_LIST))
settings_for = $(foreach entry,$(SETTING_TABLE),$(if $(filter $(1),$(wordlist 2,9,$(subst :, ,$(entry)))),$(firstword $(subst :, ,$(entry)))))
SETTINGS := $(foreach entry,$(SETTING_TABLE),$(firstword $(subst :, ,$(entry))))
# A target's own settings reach its recipe alone, as arguments (with_settings).
OWN_SETTINGS := $(call settings_for,rename update-template bench adopt)
export CONTAINER_SETTINGS := $(call settings_for,container)
REBUILD_SETTINGS := $(call settings_for,rebuild)
with_settings = $(foreach name,$(call settings_for,$(1)),$(name)=$(call quote,$($(name))))
# Each setting's value is worked out once, here ($(shell ...) defaults too), not in every recipe.
$(foreach name,$(SETTINGS),$(eval $(name) := $$($(name))))
export $(filter-out $(OWN_SETTINGS),$(SETTINGS))
export BUILT_SDIST DIST_PREFIX MAKE_PID PROJECT_NAME VERSION PACKAGE SUPPORTED_ARCHS SUPPORTED_MANYLINUX
# Not $(abspath): it splits a checkout path with spaces into words.
export TOOLS_BIN := $(if $(filter /%,$(TOOLS)),$(TOOLS),$(CURDIR)/$(TOOLS))/bin
# uv on the host trusts the machine's certificate store, as git, curl and the system's pip do, so
# that a proxy or an index with a CA of the organisation's works as it does for them.
export UV_SYSTEM_CERTS ?= 1

ifneq ($(V),1)
.SILENT:
endif

.DEFAULT_GOAL := all
.PHONY: all  ## sdist, wheels, repair and verify; then list what was made (the main job)
all: config repair
	echo "$(WHEELHOUSE)/:"; ls -1 "$(WHEELHOUSE)" | sed 's/^/  /'
	echo "$(DIST_DIR)/:"; ls -1 "$(DIST_DIR)" | sed 's/^/  /'

.PHONY: sdist  ## build the source distribution into DIST_DIR
sdist: $(SDIST)
$(SDIST): $(BUILT_SDIST)
	scripts/build/copy_into.sh "$(DIST_DIR)" "$<"
SDIST_INPUTS := $(SOURCES) scripts/build/sdist.sh scripts/build/normalize_sdist.py
$(BUILT_SDIST): $(SDIST_INPUTS) | $(call tools,make)
	scripts/build/sdist.sh "$(@D)"

# Stamps stand for steps done; the outputs they made are checked too, so a deleted wheel, sdist
# or folder, or a new WHEELHOUSE or DIST_DIR, makes the step run again.
WHEELS_STAMP := $(BUILD_DIR)/wheels.stamp
REPAIR_STAMP := $(BUILD_DIR)/repair.stamp
WHEELS := $(wildcard $(BUILD_DIR)/wheels/*.whl)
# The wheels the last repair put in WHEELHOUSE, one name a line (written by scripts/build/step.sh).
PUBLISHED := $(addprefix $(WHEELHOUSE)/,$(file <$(BUILD_DIR)/published))
OUTPUTS_GONE := $(if $(PUBLISHED),$(filter-out $(wildcard $(PUBLISHED) $(SDIST)),$(PUBLISHED) $(SDIST)),none listed)

.PHONY: wheels  ## build wheels from the sdist in one container, for every interpreter in PYTHONS
wheels: config $(WHEELS_STAMP)
$(WHEELS_STAMP): $(BUILT_SDIST) $(PIPELINE) $(if $(WHEELS),,FORCE) | $(call tools,make)
	scripts/build/step.sh wheels
	touch "$@"

.PHONY: repair  ## auditwheel repair to PLAT, then test each wheel under every interpreter
repair: config $(REPAIR_STAMP)
# One container repairs and verifies; when the wheels are out of date it builds them first, and
# the sdist meanwhile, while it starts. Metadata that cannot be read is the sdist's to say.
# After make wheels, when that is a goal too: under -j the two would build at once.
$(REPAIR_STAMP): $(if $(PROJECT),$(SDIST_INPUTS),$(BUILT_SDIST)) $(PIPELINE) $(if $(OUTPUTS_GONE),FORCE) \
                 | $(call tools,make) $(if $(filter wheels,$(MAKECMDGOALS)),$(WHEELS_STAMP))
	if $(WHEELS_UP_TO_DATE); then scripts/build/step.sh repair; else scripts/build/step.sh wheels+repair && touch "$(WHEELS_STAMP)"; fi
	touch "$@"
# Whether make would find the wheels' stamp up to date: it and what it stands for are there, and
# nothing it depends on is newer. Asked in a shell: make -q would read the makefiles again (0.2 s);
# and when it runs, so that wheels an earlier goal built (make wheels repair) count.
WHEELS_UP_TO_DATE = [ -e "$(WHEELS_STAMP)" ] && [ -e "$(BUILT_SDIST)" ] && \
  [ -n "$$(find "$(BUILD_DIR)/wheels" -maxdepth 1 -name '*.whl' -print -quit 2>/dev/null)" ] && \
  [ -z "$$(find $(SDIST_INPUTS) $(PIPELINE) -newer "$(WHEELS_STAMP)" -print -quit)" ]

.PHONY: verify  ## test the wheels in WHEELHOUSE again, each in a fresh environment per interpreter
verify: config | $(call tools,make)
	scripts/build/step.sh verify

.PHONY: config  ## check ARCH, MANYLINUX and PLAT; show the image and repair policy they select
config:
	scripts/build/step.sh config

.PHONY: upload  ## check WHEELHOUSE and the sdist, then twine upload them to REPOSITORY (or REPOSITORY_URL)
upload: | $(call tools,upload)
	scripts/release/upload.sh

.PHONY: check-published  ## install the uploaded version from that index in a fresh venv and run TESTS
check-published: | $(call tools,upload)
	scripts/release/check_published.sh

.PHONY: index-start  ## start a local package index to rehearse a release (make upload REPOSITORY=local)
index-start: | $(call tools,index)
	scripts/release/index.sh start

.PHONY: index-stop  ## stop the local package index (its packages stay in BUILD_DIR/index)
index-stop:
	scripts/release/index.sh stop

.PHONY: develop  ## build the compiled part in place on the host, for pytest against the working tree (BUILD_DIR/develop)
develop: | $(call tools,make)
	scripts/build/develop.sh

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
	$(call with_settings,bench) "$(TOOLS)/bin/python" bench/bench.py

.PHONY: lint  ## shellcheck the scripts and ruff the Python files
lint: | $(call tools,lint)
	"$(TOOLS)/bin/shellcheck" scripts/*.sh scripts/*/*.sh docker/*.sh bench/*.sh .ci/run
	"$(TOOLS)/bin/ruff" check .
	"$(TOOLS)/bin/ruff" format --check .

.PHONY: tools  ## install all the pinned host tools into TOOLS (each target installs its own on first use)
tools: $(call tools,$(TOOL_GROUPS))
# The first group makes the environment the others go into: one at a time, even under -j.
$(call tools,$(filter-out make,$(TOOL_GROUPS))): | $(call tools,make)
$(TOOLS)/.installed-%: scripts/tools.txt scripts/tools.lock scripts/tools/tools.sh
	scripts/tools/tools.sh "$(TOOLS)" $*

.PHONY: clean  ## remove everything the build made (the tools environment too)
# Of DIST_DIR and WHEELHOUSE only this project's files: they may be shared with other projects.
# The compiled files make develop put beside the package go too.
clean:
	scripts/build/develop.sh clean
	rm -rf "$(BUILD_DIR)"
	rm -f "$(WHEELHOUSE)/$(DIST_PREFIX)-"*.whl "$(DIST_DIR)/$(DIST_PREFIX)-"*.tar.gz
	rmdir "$(WHEELHOUSE)" "$(DIST_DIR)" 2>/dev/null || true

.PHONY: rename  ## make the template your project: make rename NAME=my-pkg [LIB=... AUTHOR=... URL=...]
# NAME is rename's alone: the project's current name is PROJECT_NAME, read from its metadata.
rename: | $(call tools,lint)
	$(call with_settings,rename) "$(TOOLS)/bin/python" scripts/template/rename.py

.PHONY: update-template  ## merge the template's later changes into the pipeline's files: [TEMPLATE=... REF=...]
update-template:
	$(call with_settings,update-template) $(TOOLS_PYTHON) scripts/template/update_template.py

.PHONY: adopt  ## bring the pipeline into an existing project's git checkout: make adopt INTO=path
adopt:
	$(call with_settings,adopt) $(TOOLS_PYTHON) scripts/template/adopt.py

.PHONY: help  ## list the targets and the settings with their defaults
help:
	awk -f scripts/settings.awk $(MAKEFILE_LIST)

# The settings a build depends on ([rebuild] in the table); the file changes only when they do, so
# make rebuilds then. A build on the host (as scripts/build/step.sh chooses it) depends on the
# interpreters it finds too: installing python3.14 verifies again. ($(shell) gets no exports.)
HOST_BUILD = $(or $(filter none,$(CONTAINER_ENGINE)),$(and $(filter auto,$(CONTAINER_ENGINE)),$(if $(shell command -v docker podman),,none)))
HOST_PYTHONS = $(shell $(call with_settings,container) \
                 bash -c 'source docker/lib.sh && source docker/pythons.sh && select_pythons' 2>/dev/null)
$(BUILD_DIR)/settings: FORCE | $(call tools,make)
	mkdir -p "$(@D)"
	settings=$(call quote,$(call with_settings,rebuild) $(if $(HOST_BUILD),$(HOST_PYTHONS))); \
	  echo "$$settings" | cmp -s - "$@" || echo "$$settings" >"$@"
.PHONY: FORCE
FORCE:
