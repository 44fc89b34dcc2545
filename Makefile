# The two commands of the README: `make run` and `make test`. Both install what
# they need on a fresh Debian 12 machine, as root.
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3.11
VENV := .venv
BIN := $(VENV)/bin
HULLBOX := $(BIN)/hullbox
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.test-installed
BUSYBOX_TAR := build/busybox-rootfs.tar

.PHONY: install run test lint bench clean

# compileall: bytecode is written at install, so no user's first runs pay for
# compiling (and a user with PYTHONDONTWRITEBYTECODE set never does).
$(INSTALLED): pyproject.toml constraints.txt scripts/install-system-deps.sh
	scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt \
	    --config-settings editable_mode=compat -e .
	$(BIN)/python -m compileall -q src >/dev/null
	ln -sf $(abspath $(BIN))/hullbox /usr/local/bin/hullbox
	ln -sf $(abspath $(BIN))/hullbox-runtime /usr/local/bin/hullbox-runtime
	touch $@

$(TEST_INSTALLED): $(INSTALLED) scripts/install-system-deps.sh
	scripts/install-system-deps.sh --test
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt \
	    --config-settings editable_mode=compat -e '.[test]'
	touch $@

install: $(INSTALLED)

$(BUSYBOX_TAR): scripts/make-busybox-rootfs.sh | $(INSTALLED)
	mkdir -p build
	scripts/make-busybox-rootfs.sh $@

# The main job: a container from a locally made image.
run: $(INSTALLED) $(BUSYBOX_TAR)
	$(HULLBOX) import $(BUSYBOX_TAR) busybox:latest
	$(HULLBOX) images
	$(HULLBOX) run --rm busybox sh -c 'echo "hello from $$(hostname), a hullbox container: $$(uname -s) pid $$$$"'

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: $(TEST_INSTALLED) lint
	$(BIN)/pytest -q

bench: $(INSTALLED) $(BUSYBOX_TAR)
	$(BIN)/python bench/run_latency.py

clean:
	rm -rf $(VENV) build
