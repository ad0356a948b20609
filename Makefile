# wheelwright: the model pipeline on a laptop. `make pipeline`, `make test`.
# PYTHON may be any Python the locks hold on (their "# Python versions:" line: 3.11, 3.12,
# 3.13), by name or path: `make test PYTHON=python3.13`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROJECT ?= model
# Where the embedded registry keeps its packages when NEXUS_URL is not set.
REGISTRY ?= .registry
# Regenerate the locks on these interpreters (default: python3.X for each version the
# locks name); e.g. make lock LOCK_PYTHONS="/opt/py311/bin/python3 /opt/py312/bin/python3".
LOCK_PYTHONS ?=
DEV_LOCK := requirements.txt
STAGES_LOCK := requirements/stages.txt

# The interpreter PYTHON names; for a pythonX.Y that pyenv's shims do not run (a version
# pyenv has not activated), pyenv's newest build of X.Y.
PYTHON_EXE := $(shell $(PYTHON) -c 'import sys; print(sys.executable)' 2>/dev/null || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(patsubst python%,%,$(notdir $(PYTHON))).*/bin/$(notdir $(PYTHON)) 2>/dev/null | sort -V | tail -n 1)
# An interpreter's identity: X.Y and a digest of the installation it comes from (a venv's
# is its base interpreter's). A .venv made by another interpreter than PYTHON is recreated.
IDENTITY := import hashlib, sys; print("%d.%d-%s" % (*sys.version_info[:2], hashlib.sha256(sys.base_prefix.encode()).hexdigest()[:10]))
PYTHON_ID := $(if $(PYTHON_EXE),$(shell $(PYTHON_EXE) -c '$(IDENTITY)' 2>/dev/null))
PYTHON_VERSION := $(firstword $(subst -, ,$(PYTHON_ID)))
# A stamp per lock and interpreter, newer than the lock once .venv holds what it pins.
STAGES_STAMP := $(VENV)/.installed-stages-$(PYTHON_ID)
DEV_STAMP := $(VENV)/.installed-dev-$(PYTHON_ID)

.PHONY: pipeline test new lock check-lock lint bench mutation clean

# The pipeline needs only the stages' lock (about half the packages of the full one);
# the tests, linters and benchmark need everything.
pipeline: $(STAGES_STAMP)
	$(BIN)/python scripts/pipeline.py --project-dir "$(PROJECT)" --registry "$(REGISTRY)"

test: $(DEV_STAMP)
	$(BIN)/python -m pytest

# A new model project that passes the pipeline as created: make new NAME=models/churn-model
new: $(STAGES_STAMP)
	@test -n "$(NAME)" || { echo "make: say where: make new NAME=models/churn-model" >&2; exit 1; }
	$(BIN)/python scripts/new.py "$(NAME)"

lock: $(STAGES_STAMP)
	$(BIN)/python scripts/pin.py $(foreach p,$(LOCK_PYTHONS),--python $(p))

# The offline check, then pip fetches every file the locks select here to check its hash.
check-lock: $(STAGES_STAMP)
	$(BIN)/python scripts/pin.py --check --verify-hashes

bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py

# Mutation testing of the pure logic with mutmut (setup.cfg, tests/mutation.py), in a staged
# copy (.mutation/); not part of `make test`. The last score is in docs/mutation.md.
mutation: $(DEV_STAMP)
	$(BIN)/python tests/mutation.py

# install LOCK: make .venv from PYTHON (again, when another interpreter made it) and
# install LOCK into it, every file checked against its hash. --no-compile halves the time
# (55 s -> 25 s for the stages lock): Python compiles what it imports, when it imports it.
define install
	@test -n "$(PYTHON_ID)" || { echo "make: PYTHON=$(PYTHON) does not run: set PYTHON to a Python the locks name ($$(sed -n 's/^# Python versions: //p' $(1)))." >&2; exit 1; }
	@grep -Eq '^# Python versions:.* $(PYTHON_VERSION)( |$$)' $(1) || { echo "make: PYTHON=$(PYTHON) is Python $(PYTHON_VERSION), but $(1) holds on Python $$(sed -n 's/^# Python versions: //p' $(1)) only: set PYTHON to one of those, or add $(PYTHON_VERSION) to the locks (see README.md, Changing dependencies)." >&2; exit 1; }
	@if [ -e $(VENV) ] && [ "$$($(BIN)/python -c '$(IDENTITY)' 2>/dev/null)" != "$(PYTHON_ID)" ]; then echo "make: $(VENV) was made by another Python than PYTHON=$(PYTHON) (Python $(PYTHON_VERSION)): recreating it"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON_EXE) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile --require-hashes --no-deps -r $(1)
	@touch $@
endef

$(STAGES_STAMP): $(STAGES_LOCK)
	$(call install,$(STAGES_LOCK))

$(DEV_STAMP): $(DEV_LOCK)
	$(call install,$(DEV_LOCK))

clean:
	rm -rf $(VENV) dist .registry
