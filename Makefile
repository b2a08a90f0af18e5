# Two commands do all the set-up: `make demo` and `make test`.
# Both bootstrap .venv from nothing; stamp files make a second run instant.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# extras installed into .venv; the book workflow (.github/workflows/book.yml) takes fewer
EXTRAS ?= torch,book,dev,real,synthclip,llm
# `make publish`: the built workshop book, pushed to the gh-pages branch of REMOTE
BOOK_HTML ?= demo_out/book/src/_build/html
REMOTE ?= origin
# the profile `make demo` runs (the book workflow's rehearsal takes tiny)
PROFILE ?= workshop
BOOKJS := tools/book_js/node_modules/.package-lock.json
export HF_HOME := $(CURDIR)/.cache/huggingface
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1

.PHONY: install demo test test-fast book bench browser clean publish publish-html notebooks

# the stamp takes the time the install started, so an edit made during it installs next time
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	touch $(STAMP).started
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	mv $(STAMP).started $(STAMP)

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
	$(VENV)/bin/stprompt demo --profile $(PROFILE) --out demo_out

# pytest-xdist workers; a test file stays on one worker (its module fixtures are built once)
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

test: $(STAMP) $(BOOKJS) browser
	$(PYTEST) tests

# the quick tests: no end-to-end training or extraction (the `slow` marker), no notebooks or
# book build (tests/integration); `pure` tests train nothing at all
test-fast: $(STAMP) $(BOOKJS)
	$(PYTEST) -m "not slow" tests/unit

book: $(STAMP) $(BOOKJS)
	$(VENV)/bin/stprompt book --profile workshop

# The workshop book on GitHub Pages without Actions: build it (make demo), then push the
# HTML to the gh-pages branch with ghp-import (.nojekyll added, the branch's history replaced).
publish: demo
	$(MAKE) publish-html

publish-html:
	test -f $(BOOK_HTML)/index.html || { echo "no built book at $(BOOK_HTML) (run make demo)"; exit 1; }
	$(VENV)/bin/ghp-import --no-jekyll --push --force --remote $(REMOTE) --branch gh-pages \
	  --message "book: $$(git rev-parse --short HEAD)" $(BOOK_HTML)

# After editing a notebook's text (notebooks/NN_name.md), write its paired .ipynb (and back)
notebooks: $(STAMP)
	$(VENV)/bin/jupytext --sync notebooks/*.md

bench: $(STAMP)
	$(PY) benchmarks/bench_temporal.py

clean:
	rm -rf $(VENV) demo_out runs cache .cache _build tools/book_js/node_modules
