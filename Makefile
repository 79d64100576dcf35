# One command sets everything up and runs the main job (`make train`), one the tests (`make test`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
comma := ,

.PHONY: setup examples example browser lint test faults train ab watch play bench docs diagrams clean

# A venv with the package and the given extras; torch first and pinned exactly: an unpinned
# torch pulls gigabytes of CUDA packages.
define install
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[$(1)]'
endef

$(STAMP): pyproject.toml
	$(call install,dev$(comma)web)
	touch $(STAMP)

setup: $(STAMP)

# The examples' extra (sb3-contrib) and the docs' (MkDocs): not needed to train, needed by
# the tests. Installed in the same pip call as the package, so a fresh clone's `make test`
# resolves once.
EXAMPLES_STAMP := $(VENV)/.examples-installed
$(EXAMPLES_STAMP): pyproject.toml
	$(call install,dev$(comma)web$(comma)examples$(comma)docs)
	touch $(STAMP) $(EXAMPLES_STAMP)

examples: $(EXAMPLES_STAMP)

lint: examples
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Debian's Chromium renders the HTML replays in the tests.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# Two pytest processes (pytest-xdist), each with its own local Ray: one alone left a third
# of this 2-core machine idle while tests waited on processes they had started.
TEST_WORKERS ?= 2
test: lint browser
	$(BIN)/pytest -n $(TEST_WORKERS)

# Fault injection in full: SIGKILL a training run 20 times and resume it each time.
faults: examples
	FAULT_KILLS=20 $(BIN)/pytest -m faults -v

# The main job: self-play training (resumes the latest run) with the laptop preset, or the
# large preset where torch sees a CUDA GPU; PRESET=name chooses.
train: setup
	$(BIN)/alphatriangle train --preset $${PRESET:-$$($(BIN)/python -c \
		"import torch; print('large' if torch.cuda.is_available() else 'laptop')")}

# One arm of a learning A/B (docs/experiments.md): the laptop preset for AB_MINUTES with the
# settings in SET, same seed as the other arms, then scored at 64 simulations against ab-BASE.
#   make ab NAME=keeptrees SET="selfplay.KEEP_TREES_ON_WEIGHT_UPDATE=true" BASE=baseline
#   make ab NAME=baseline   (no SET: the preset as it is; its eval has no --vs)
AB_MINUTES ?= 15
AB_SEED ?= 7
AB_DIR ?= runs-ab
ab: setup
	test -n "$(NAME)" || (echo "error: give NAME=<arm name>, e.g. make ab NAME=keeptrees SET=..." && false)
	$(BIN)/alphatriangle train --preset laptop --minutes $(AB_MINUTES) --seed $(AB_SEED) \
		--run-name ab-$(NAME) --no-resume $(foreach s,$(SET),--set $(s)) \
		--set persistence.ROOT_DATA_DIR=$(AB_DIR)
	$(BIN)/alphatriangle eval $(AB_DIR)/runs/ab-$(NAME) --simulations 64 \
		$(if $(BASE),--vs $(AB_DIR)/runs/ab-$(BASE)) --json $(AB_DIR)/eval-$(NAME).json

# Play and analyse in the browser beside the shipped agent (prints the page's address).
play: setup
	$(BIN)/alphatriangle play --web --agent models/laptop

# Watch the shipped agent (models/laptop) play one game: writes game.html.
watch: setup
	$(BIN)/alphatriangle watch models/laptop --seed 7 --out game.html

# The MaskablePPO example: sb3-contrib on the same engine, scored like eval.
example: examples
	$(BIN)/python examples/maskable_ppo.py

bench: setup
	$(BIN)/alphatriangle bench engine
	$(BIN)/alphatriangle bench planner
	$(BIN)/alphatriangle bench env
	$(BIN)/alphatriangle bench search
	$(BIN)/alphatriangle bench train

# The documentation site (docs/, the package READMEs, the API reference) into site/;
# --strict: a broken link, a missing page or a stale API reference fails the build.
docs: examples
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The docs' Mermaid diagrams drawn to SVG (docs/diagrams/), which the site shows offline; run
# after editing a diagram (the build fails while one has no drawing). Needs npm and Chromium.
diagrams: examples browser
	$(BIN)/python scripts/render_diagrams.py

clean:
	rm -rf $(VENV) site .mypy_cache .ruff_cache .pytest_cache .hypothesis
