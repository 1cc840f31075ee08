# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
export HOST PORT

.PHONY: run test samples install install-test install-room lock lock-upgrade runtime-deps system-deps lint typecheck bench bench-sfu bench-papers bench-votes bench-search clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Exact versions with their hashes from the lock (requirements/*.txt), then the project itself with nothing resolved
# again; a changed lock or pyproject.toml reinstalls. pyproject.toml keeps the ranges for people who pip install.
define install_locked
	$(BIN)/pip install -q --require-hashes -r $(1)
	$(BIN)/pip install -q --no-deps -e .
	touch $@
endef

$(VENV)/.installed: requirements/server.txt pyproject.toml | $(BIN)/python
	$(call install_locked,requirements/server.txt)

$(VENV)/.installed-test: requirements/test.txt $(VENV)/.installed
	$(BIN)/pip install -q --require-hashes -r requirements/test.txt
	touch $@

# A hall's room PC: room-client only (no pymupdf, database, argon2 or redis).
$(VENV)/.installed-room: requirements/room.txt pyproject.toml | $(BIN)/python
	$(call install_locked,requirements/room.txt)

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

install-room: $(VENV)/.installed-room

install-test: $(VENV)/.installed-test node_modules/.installed system-deps

# What the server itself uses at run time: LibreOffice's headless parts (Word/Excel/PowerPoint papers become PDF),
# ffmpeg (recordings; the composed programme), poppler (the second page renderer), fonts that carry Vietnamese.
# `make run` installs them as root and only warns otherwise (the server then refuses those uploads with a sentence).
RUNTIME_CHECKS = \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui"; \
	command -v ffprobe >/dev/null 2>&1 || missing="$$missing ffmpeg"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	[ -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || missing="$$missing fonts-noto-core"; \
	[ -f /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] || missing="$$missing fonts-liberation2";

define apt_install_missing
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "please install with: sudo apt-get install$$missing" >&2; $(1); \
	  fi; \
	fi
endef

runtime-deps:
	@missing=""; $(RUNTIME_CHECKS) \
	$(call apt_install_missing,true)

# `make test` adds what the tests use: Chromium (browser tests), Redis (two server nodes in one test), nginx
# (`nginx -t` on deploy/nginx.conf), systemd (`systemd-analyze security` scores deploy/meeting-server.service),
# SoftHSM2 and OpenSC's pkcs11-tool (a real PKCS#11 token for the signature tests), DejaVu, and PostgreSQL only where
# its binaries are missing. apt-get needs root, as on CI.
system-deps:
	@missing=""; $(RUNTIME_CHECKS) \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx"; \
	command -v systemd-analyze >/dev/null 2>&1 || missing="$$missing systemd"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	command -v softhsm2-util >/dev/null 2>&1 || missing="$$missing softhsm2"; \
	command -v pkcs11-tool >/dev/null 2>&1 || missing="$$missing opensc"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	$(call apt_install_missing,exit 1)

run: install runtime-deps
	$(BIN)/meeting-server demo
	$(BIN)/meeting-server serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -q

# docs/samples/: the sample biên bản and thông báo kết luận of the demo's held meeting, signed with demo keys
# (meeting_server/demo_samples.py); tests/test_samples.py checks the committed ones are what this makes.
samples: install
	$(BIN)/python -m meeting_server.demo_samples docs/samples

lint: $(VENV)/.installed-test
	@status=0; \
	$(BIN)/ruff check meeting_server room_client meeting_sign tests bench || status=1; \
	$(BIN)/ruff format --check meeting_server room_client meeting_sign tests bench || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

bench: install-test
	$(BIN)/python bench/fanout.py

bench-sfu: install-test
	$(BIN)/python bench/sfu.py

bench-papers: install-test
	$(BIN)/python bench/papers.py

bench-votes: install-test
	$(BIN)/python bench/votes.py

bench-search: install-test
	$(BIN)/python bench/search.py

# Refresh the lock from pyproject.toml's ranges: test.txt is the whole set (server + test), server.txt and room.txt
# are its subsets at the same versions. `make lock` keeps the pins that still fit; `make lock-upgrade` takes the
# newest versions the ranges allow. Commit the three files.
PIP_COMPILE = $(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links

lock: | $(BIN)/python
	$(BIN)/pip install -q 'pip-tools>=7.5,<8'
	$(PIP_COMPILE) $(LOCK_FLAGS) --extra server --extra sign --extra test -o requirements/test.txt pyproject.toml
	$(PIP_COMPILE) --upgrade -c requirements/test.txt --extra server -o requirements/server.txt pyproject.toml
	$(PIP_COMPILE) --upgrade -c requirements/test.txt -o requirements/room.txt pyproject.toml

lock-upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade

clean:
	rm -rf $(VENV) node_modules data .pytest_cache
