# Build, repair, verify and publish manylinux wheels of this project. `make help` lists it all.
# The settings here are the project's own; the pipeline's rules and the rest of its settings
# live in scripts/pipeline.mk, which `make update-template` keeps in step with the template.
# Every setting is a default: override it on the command line or in the environment
# (make PYTHONS="cp311 cp312", MANYLINUX=manylinux2014 make wheels). Set any other the project
# needs for every run here too, e.g. IMAGE_SETUP (MANUAL.md, The project's settings).

TESTS            ?= tests/package##            the package's own tests, run against each installed wheel
TEST_REQUIRES    ?=##                          what the tests need besides pytest, e.g. "six numpy>=2"

include scripts/pipeline.mk
