# I-JEPA pipeline. `make all` runs the stages of PIPELINE; `make test` runs
# the tests. Both install missing system packages first (`make deps`).

PIPELINE  ?= pipelines/default.yaml
ARTIFACTS ?= artifacts
# FORCE=1 recomputes a stage even when its artifact is up to date.
FORCE     ?=
# Extra `--set key=value` overrides for every stage, e.g. SET="--set prepare.gzip_level=4".
SET       ?=

APT_PACKAGES := libhdf5-dev libopenblas-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev \
                dataset-fashion-mnist pkg-config
BIN          := .build/release
STAGE_ARGS    = --config $(PIPELINE) --artifacts $(ARTIFACTS) $(if $(FORCE),--force) $(SET)

.PHONY: all deps build prepare pretrain test bench-numerics clean clean-artifacts

# Stages land one issue at a time; `all` chains those that exist.
all: pretrain
	@echo "make all: prepare and pretrain done ($(PIPELINE)); probe and report are not implemented yet."

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "deps: missing system packages. Run:"; \
	    echo "  sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi; \
	command -v swift >/dev/null || { echo "deps: the Swift 6 toolchain (swift) is not on PATH; install it from swift.org"; exit 1; }

build: deps
	swift build -c release

prepare: build
	$(BIN)/Prepare $(STAGE_ARGS)

# RESUME=1 continues an interrupted run of the same configuration.
pretrain: prepare
	$(BIN)/Pretrain $(STAGE_ARGS) $(if $(RESUME),--resume)

# Forward/backward of one I-JEPA step of the default model (release build):
# time per phase, GFLOP/s, and the fraction of this machine's sgemm rate.
bench-numerics: build
	$(BIN)/NumericsBench $(BENCH_ARGS)

test: deps
	swift test --disable-swift-testing

clean:
	rm -rf .build

clean-artifacts:
	rm -rf $(ARTIFACTS)
