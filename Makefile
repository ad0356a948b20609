# wheelwright: the model pipeline on a laptop. `make pipeline`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROJECT ?= model
# The stamp is newer than the lock once the environment holds exactly what it pins.
STAMP := $(VENV)/.installed

.PHONY: pipeline test lock check-lock lint bench clean

pipeline: $(STAMP)
	$(BIN)/python scripts/pipeline.py --project-dir $(PROJECT)

test: $(STAMP)
	$(BIN)/python -m pytest

lock: $(STAMP)
	$(BIN)/python scripts/pin.py --requirements requirements.in

check-lock: $(STAMP)
	$(BIN)/python scripts/pin.py --check --requirements requirements.in

bench: $(STAMP)
	$(BIN)/python bench/run.py

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; v = sys.version_info[:2]; v == (3, 11) or print(f"warning: .venv has Python {v[0]}.{v[1]}; requirements.txt is compiled and tested for 3.11 (make PYTHON=python3.11)", file=sys.stderr)'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) dist .registry
