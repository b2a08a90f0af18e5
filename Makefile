# Two commands do all the set-up: `make demo` and `make test`.
# Both bootstrap .venv from nothing; stamp files make a second run instant.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BOOKJS := tools/book_js/node_modules/.package-lock.json
export HF_HOME := $(CURDIR)/.cache/huggingface
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1

.PHONY: install demo test book bench browser clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[torch,book,dev,real,synthclip,llm]"
	touch $(STAMP)

# require.js, the ipywidgets HTML manager and MathJax, served by the book itself (no CDN)
$(BOOKJS): tools/book_js/package.json tools/book_js/package-lock.json
	npm ci --prefix tools/book_js --no-audit --no-fund --loglevel=error

# Debian's Chromium for the headless page test (root installs it; otherwise that test skips)
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || \
	  echo "chromium not installed: the browser test will skip"

install: $(STAMP) $(BOOKJS)

demo: $(STAMP) $(BOOKJS)
	$(VENV)/bin/stprompt demo --profile workshop --out demo_out

test: $(STAMP) $(BOOKJS) browser
	$(PY) -m pytest -q tests

book: $(STAMP) $(BOOKJS)
	$(VENV)/bin/stprompt book --profile workshop

bench: $(STAMP)
	$(PY) benchmarks/bench_temporal.py

clean:
	rm -rf $(VENV) demo_out runs cache .cache _build tools/book_js/node_modules
