# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
export HOST PORT

.PHONY: run test install install-test system-deps lint typecheck bench bench-sfu bench-papers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

install-test: $(VENV)/.installed-test node_modules/.installed system-deps

# Chromium (browser tests), poppler-utils (pdftotext checks the PDFs' Vietnamese), ffmpeg (ffprobe reads the
# recordings), Redis (two server
# nodes in one test), fonts that carry Vietnamese, and PostgreSQL only where its binaries are missing.
# apt-get needs root, as on CI.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v ffprobe >/dev/null 2>&1 || missing="$$missing ffmpeg"; \
	[ -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || missing="$$missing fonts-noto-core"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "please install with: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

run: install
	$(BIN)/meeting-server demo
	$(BIN)/meeting-server serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-test
	@status=0; \
	$(BIN)/ruff check meeting_server room_client tests bench || status=1; \
	$(BIN)/ruff format --check meeting_server room_client tests bench || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

bench: install-test
	$(BIN)/python bench/fanout.py

bench-sfu: install-test
	$(BIN)/python bench/sfu.py

bench-papers: install-test
	$(BIN)/python bench/papers.py

clean:
	rm -rf $(VENV) node_modules data .pytest_cache
