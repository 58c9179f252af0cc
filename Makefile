# Two commands do everything on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-ahead bench bench-matching lint lint-infra format package deploy requirements translations clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# PyICU on top, for what sorts by ICU's collation (make translations, make test): it is
# compiled (libicu-dev, pkg-config, g++), so the first `make run` does not wait for it.
ICU_STAMP := $(VENV)/.installed-icu
$(ICU_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,icu]'
	touch $(ICU_STAMP)

# axe-core for the browser tests, at the versions package-lock.json pins.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

## make run: Homeward on http://127.0.0.1:8000 (PORT overrides) with embedded AWS
run: $(STAMP)
	$(PY) -m infra.local

## make test: the whole suite (unit, API, handlers, end-to-end, browser)
test: $(ICU_STAMP) $(NODE_STAMP)
	$(PY) -m infra.requirements --check
	$(PY) -m infra.translations --check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -n 2 --dist loadgroup --no-loadscope-reorder

## make test-fast: the domain, services and architecture checks, in seconds, on the fakes
test-fast: $(STAMP)
	$(PY) -m pytest -n 2 tests/domain tests/services tests/test_architecture.py tests/test_lazy_imports.py

## make test-ahead: the in-process suite with the clock a year and a month ahead; a test
## that compares a fixed date with the real clock fails here today, not in CI next month
test-ahead: $(ICU_STAMP)
	HOMEWARD_CLOCK_AHEAD_DAYS=400 $(PY) -m pytest -n 2 --dist loadgroup --no-loadscope-reorder \
	  tests/domain tests/services tests/adapters tests/handlers tests/api

## make bench: speed, size and call-count figures, each with the command behind it
bench: $(STAMP)
	$(PY) -m infra.bench

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# checkov in a venv of its own (its dependencies would pin the app's); infra/checkov.yaml
# lists each check that does not apply, with the reason.
CHECKOV := .venv-checkov/bin/checkov
$(CHECKOV):
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet checkov

## make lint-infra: checkov on the packaged template (build/package/dev/sam.json)
lint-infra: $(STAMP) $(CHECKOV)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-central-1} $(PY) -m infra.package --stage dev
	$(CHECKOV) --config-file infra/checkov.yaml -f build/package/dev/sam.json

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## make package: the Lambda package and merged CloudFormation (build/package/STAGE), built
## by a Python 3.13 (runtime python3.13): python3.13 on PATH, pyenv's 3.13.0 or PYTHON313=...
package: $(STAMP)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-central-1} $(PY) -m infra.package --stage $${STAGE:-dev}

## make deploy STAGE=prod [PARAMS="OperatorsEmail=oncall@... PublicUrl=https://..."]: build,
## upload, change set, wait, outputs, smoke test (README, "Deploying"). A parameter not
## given again keeps the stage's value.
deploy: $(STAMP)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-central-1} $(PY) -m infra.deploy --stage $(or $(STAGE),$(error say which: make deploy STAGE=prod)) \
	  $(foreach parameter,$(PARAMS),--parameter '$(parameter)') $(DEPLOY_FLAGS)

requirements: $(STAMP)
	$(PY) -m infra.requirements

## make translations: compile the form's catalogs (.po -> .mo) after editing them
translations: $(ICU_STAMP)
	$(PY) -m infra.translations

clean:
	rm -rf $(VENV) .venv-checkov .venv-lambda build .pytest_cache .ruff_cache node_modules test-artifacts

## make bench-matching: recall and precision of same-child matching on tests/data
bench-matching: $(STAMP)
	$(PY) infra/bench_matching.py
