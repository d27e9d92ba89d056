# I-JEPA pipeline. `make all` runs the stages of PIPELINE; `make test` runs
# the tests. Both install missing system packages first (`make deps`).

# The pipeline file of make all and the stage targets.
PIPELINE  ?= pipelines/default.yaml
# The artifact store's folder.
ARTIFACTS ?= artifacts
# FORCE=1 recomputes the stage of the target you name, even when its artifact
# is up to date (make probe FORCE=1: Probe alone; make all FORCE=1: Report);
# the stages before it are built only when missing. FORCE=all recomputes every
# stage on the way.
FORCE     ?=
# Extra `--set key=value` overrides for every stage, e.g. SET="--set prepare.gzip_level=4".
SET       ?=
# Threads per stage process (our workers and OpenBLAS). Default: all cores.
# With `make -j N sweep` on C cores, THREADS=C/N keeps the cores from being
# oversubscribed.
THREADS   ?=
SWEEP     ?= pipelines/sweeps/target-scale.yaml
# Replicates: SEEDS="0 1 2" runs `make all` (or every variant of `make sweep`,
# replacing the file's seeds:) once per seed, meta.seed and probe.seed set to
# it, and the report gives means, 95% intervals and paired differences.
SEEDS     ?=
# One replicate of a stage target: SEED=1 (make pretrain SEED=1).
SEED      ?=
# make record / record-sweep: the results registry they add rows to.
REGISTRY  ?= results/registry.csv
# make export: the output file.
EXPORT    ?= target_encoder.safetensors

APT_PACKAGES := libhdf5-dev libopenblas-dev libdnnl-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev libssl-dev \
                dataset-fashion-mnist pkg-config
# Only the MPI build of Pretrain (make build-mpi / test-mpi) needs these.
MPI_PACKAGES := libopenmpi-dev openmpi-bin
MPI_BIN      := .build-mpi/release
BIN          := .build/release
SEEDS_ARG     = $(if $(strip $(SEEDS)),--seeds "$(strip $(SEEDS))")
STAGE_ARGS    = --config $(PIPELINE) --artifacts $(ARTIFACTS) $(SET) $(if $(SEED),--seed $(SEED))
# --force for stage $1 when FORCE=all, or FORCE is set and $1 is the target named (all names report).
FORCED        = $(if $(filter all,$(FORCE)),--force,$(if $(FORCE),$(if $(filter $1,$(patsubst all,report,$(MAKECMDGOALS))),--force)))
SWEEP_ARGS    = --sweep $(SWEEP) --artifacts $(ARTIFACTS) $(SET) $(SEEDS_ARG)
# A sweep run's name, V or V-S (variant V at seed S), as stage arguments.
RUN_NAME_ARGS = --variant $(word 1,$(subst -, ,$1))$(if $(word 2,$(subst -, ,$1)), --seed $(word 2,$(subst -, ,$1)))
FORCE_ARG     = $(if $(FORCE),--force)
RUN           = $(if $(THREADS),IJEPA_THREADS=$(THREADS) OMP_NUM_THREADS=$(THREADS) OPENBLAS_NUM_THREADS=$(THREADS))
# make bench / bench-compare: timed steps (after 2 untimed ones); bench-bf16: rounds.
BENCH_STEPS  ?= 20
BENCH_DUMP    = $(ARTIFACTS)/.bench/steps.h5
# Development-only Python for tools/ (PyTorch reference and yardstick).
VENV         := .venv
TORCH_PIP    := torch==2.13.0+cpu h5py numpy safetensors

.PHONY: all help deps deps-mpi apt-install build build-mpi test-mpi prepare pretrain probe report record record-sweep runs runs-diff export sweep sweep-report gc-list verify test test-e2e test-fuzz bench bench-bf16 bench-compare bench-numerics venv clean clean-artifacts

# The whole pipeline of PIPELINE: Prepare, Pretrain, Probe, Report.
all: report

# Targets and variables, from the comments above them in this Makefile.
help:
	@echo "make TARGET [VARIABLE=value ...]   (docs/stages.md for the stages, docs/configuration.md for the keys)"
	@echo; echo "Targets:"
	@awk '/^# /{c = c (c ? " " : "") substr($$0, 3); next} /^[a-z][a-z0-9-]*%?:/ && c {split($$0, t, ":"); if (!seen[t[1]]++) printf "  %-16s %s\n", t[1], (length(c) > 150 ? substr(c, 1, 147) "..." : c)} {c = ""}' $(firstword $(MAKEFILE_LIST))
	@echo; echo "Variables:"
	@awk '/^# /{c = c (c ? " " : "") substr($$0, 3); next} /^[A-Z_]+ +\?=/ && c {printf "  %-16s %s\n", $$1, (length(c) > 150 ? substr(c, 1, 147) "..." : c)} {c = ""}' $(firstword $(MAKEFILE_LIST))
	@echo; echo "Stage programs (.build/release/): --help, --version, --print-config, --list-keys; exit codes in docs/stages.md."

# Installs the missing system packages (apt-get, as root) and checks for swift.
deps:
deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"
	@command -v swift >/dev/null || { echo "deps: the Swift 6 toolchain (swift) is not on PATH; install it from swift.org"; exit 1; }

deps-mpi:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(MPI_PACKAGES)"

apt-install:
	@missing=""; \
	for p in $(PACKAGES); do \
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
	fi

# The release build of every program (.build/release).
build: deps
	swift build -c release

# Pretrain for mpirun / srun (data-parallel over Open MPI), in its own build
# folder: the default build stays MPI-free.
build-mpi: deps deps-mpi
	IJEPA_MPI=1 swift build -c release --scratch-path .build-mpi --product Pretrain

# Images or IDX files to HDF5 patch shards (artifacts/prepare/<key>).
prepare: build
	$(RUN) $(BIN)/Prepare $(STAGE_ARGS) $(call FORCED,prepare)

# I-JEPA pretraining (artifacts/pretrain/<key>). An interrupted run of the
# same configuration continues by itself (and says so) when this build wrote
# its checkpoint; RESUME=1 continues one of another build, RESTART=1 starts over.
pretrain: prepare
	$(RUN) $(BIN)/Pretrain $(STAGE_ARGS) $(call FORCED,pretrain) $(if $(RESUME),--resume) $(if $(RESTART),--restart)

# Linear and k-NN probes of the frozen encoder and the baselines (artifacts/probe/<key>).
probe: pretrain
	$(RUN) $(BIN)/Probe $(STAGE_ARGS) $(call FORCED,probe)

ifeq ($(strip $(SEEDS)),)
# report.md, results.csv and figures (artifacts/report/<key>).
report: probe
	@report=$$($(BIN)/Report $(STAGE_ARGS) $(call FORCED,report)) && echo "report: $$report"
else
# SEEDS: every replicate's stages, then one report over them.
report: $(addprefix replicate-,$(SEEDS))
	@report=$$($(BIN)/Report $(STAGE_ARGS) $(SEEDS_ARG) $(call FORCED,report)) && echo "report: $$report"
endif

# One replicate of PIPELINE: replicate-2 runs its stages at seed 2.
replicate-%: build
	$(RUN) $(BIN)/Prepare $(STAGE_ARGS) --seed $* $(call FORCED,prepare)
	$(RUN) $(BIN)/Pretrain $(STAGE_ARGS) --seed $* $(call FORCED,pretrain) $(if $(RESUME),--resume) $(if $(RESTART),--restart)
	$(RUN) $(BIN)/Probe $(STAGE_ARGS) --seed $* $(call FORCED,probe)

# Adds the runs of PIPELINE (at SEEDS when given) to results/registry.csv,
# from their artifacts; `make record-sweep SWEEP=...` the runs of a sweep.
# Every number in README.md and docs/results.md is a row there.
record: build
	@$(BIN)/Store record $(STAGE_ARGS) $(SEEDS_ARG) --registry $(REGISTRY)

record-sweep: build
	@$(BIN)/Store record $(SWEEP_ARGS) --registry $(REGISTRY)

# The pretrained target encoder as safetensors under the official I-JEPA
# names (EXPORT=file); STATE=1 writes the whole training state instead, for
# tools/interop/ijepa_checkpoint.py to-official.
export: pretrain
	$(RUN) $(BIN)/Pretrain $(STAGE_ARGS) --export $(EXPORT) $(if $(STATE),--export-state)

# Every variant of SWEEP is a pipeline run; variants share the artifacts
# whose inputs they do not change (a lock per artifact makes concurrent
# variants build a shared artifact once). `make -j N sweep` runs N variants
# at a time.
# A sweep file with seeds: runs each variant once per seed (runs V-S).
sweep: build
	@runs=$$($(BIN)/Store plan $(SWEEP_ARGS)) && \
	$(MAKE) --no-print-directory sweep-report SWEEP_RUNS="$$runs"

ifdef SWEEP_RUNS
SWEEP_TARGETS := $(addprefix sweep-run-,$(SWEEP_RUNS))
endif

# The report over SWEEP's runs (after make sweep has run them).
sweep-report: $(SWEEP_TARGETS)
	@report=$$($(BIN)/Report $(SWEEP_ARGS) $(FORCE_ARG)) && echo "report: $$report"

# One run of SWEEP: sweep-run-2 (variant 2) or sweep-run-2-1 (variant 2 at
# seed 1). FORCE=1 recomputes its Pretrain and Probe; the shared Prepare is
# not forced here (runs would rebuild it under each other's feet): use
# `make prepare FORCE=1` for that.
sweep-run-%: build
	$(RUN) $(BIN)/Prepare $(SWEEP_ARGS) $(call RUN_NAME_ARGS,$*)
	$(RUN) $(BIN)/Pretrain $(SWEEP_ARGS) $(FORCE_ARG) $(call RUN_NAME_ARGS,$*)
	$(RUN) $(BIN)/Probe $(SWEEP_ARGS) $(FORCE_ARG) $(call RUN_NAME_ARGS,$*)

# Re-hash every artifact of PIPELINE against its manifest.
verify: build
	@$(BIN)/Store verify $(STAGE_ARGS)

# Every completed run in ARTIFACTS: source, seed, the values that differ from
# its pipeline file, headline probes, time, CPU class, commit (CSV=1 for CSV);
# make runs-diff A=key B=key: the settings two runs differ in.
runs: build
	@$(BIN)/Store runs --artifacts $(ARTIFACTS) $(if $(CSV),--csv)

runs-diff: build
	@$(BIN)/Store diff --artifacts $(ARTIFACTS) $(A) $(B)

# Artifact folders no pipeline or sweep file reaches, nor a run whose recorded
# command still gives its key (delete them by hand).
gc-list: build
	@$(BIN)/Store gc-list --artifacts $(ARTIFACTS)

# make bench-compare: rounds of ours against PyTorch.
BENCH_ROUNDS ?= 2

# BENCH_STEPS real pretraining steps of PIPELINE (release build): images/s,
# ms per phase, GFLOP/s, fraction of the machine's sgemm rate at the same
# shapes, peak memory. BENCH_FLAGS=--gemm-shapes adds each GEMM shape's time,
# replayed alone and in place.
bench: prepare
	$(RUN) $(BIN)/PretrainBench --config $(PIPELINE) --artifacts $(ARTIFACTS) $(SET) --steps $(BENCH_STEPS) $(BENCH_FLAGS)

# bfloat16 against float32 in one run: BENCH_STEPS rounds of one step of each
# (two models from the same weights, same batches and masks, the order swapped
# every round), the speed-up from the median steps and from each round's pair.
bench-bf16: prepare
	$(RUN) $(BIN)/PretrainBench --config $(PIPELINE) --artifacts $(ARTIFACTS) $(SET) --steps $(BENCH_STEPS) --alternate-bf16

# The same steps in PyTorch (tools/bench/torch_pretrain.py: same weights,
# batches and masks), alternated with ours for BENCH_ROUNDS rounds: both
# images/s, the ratio, peak memory and the largest loss difference. Needs the
# development venv (make venv, which bench-compare runs).
bench-compare: prepare $(VENV)/bin/python
	$(RUN) tools/bench/compare.sh $(BIN) $(VENV)/bin/python $(BENCH_DUMP) $(BENCH_ROUNDS) \
	  --config $(PIPELINE) --artifacts $(ARTIFACTS) $(SET) --steps $(BENCH_STEPS)

# The development venv (.venv: torch, h5py, safetensors) for tools/.
venv: $(VENV)/bin/python

$(VENV)/bin/python:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -q $(TORCH_PIP)

# Forward/backward of one I-JEPA step of the default model (release build):
# time per phase, GFLOP/s, and the fraction of this machine's sgemm rate.
bench-numerics: build
	$(BIN)/NumericsBench $(BENCH_ARGS)

# Unit and stage tests, then the Makefile end to end on the smoke pipeline
# (release build, temporary artifact folder).
test: deps
	swift test --disable-swift-testing
	$(MAKE) --no-print-directory test-e2e
	$(MAKE) --no-print-directory test-fuzz
	@if command -v mpirun >/dev/null && pkg-config --exists mpi-c; then \
	  $(MAKE) --no-print-directory test-mpi; \
	else echo "test-mpi: skipped, Open MPI is not installed (make deps-mpi installs it)"; fi

# 2 MPI ranks against 1 process on the smoke pipeline (Tests/EndToEnd/mpi_parity.sh),
# over shared memory and then over TCP alone (what two hosts use); prints the
# largest loss difference last.
test-mpi: build build-mpi
	Tests/EndToEnd/mpi_parity.sh
	TRANSPORT=tcp Tests/EndToEnd/mpi_parity.sh
	MPI_BIN=$(MPI_BIN) Tests/EndToEnd/stream_memory.sh

# The Makefile end to end on the smoke pipeline (Tests/EndToEnd/make_e2e.sh, stream_memory.sh).
test-e2e: build
	Tests/EndToEnd/make_e2e.sh
	Tests/EndToEnd/stream_memory.sh

# Mutated PNG, JPEG and IDX inputs through the decoders under AddressSanitizer
# (FUZZ_CASES per format, default 3000).
test-fuzz: deps
	Tests/EndToEnd/fuzz_decoders.sh

# Removes the build folders.
clean:
	rm -rf .build .build-*

# Removes ARTIFACTS, without asking.
clean-artifacts:
	rm -rf $(ARTIFACTS)
