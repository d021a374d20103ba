# HessianStudy. The two commands a newcomer needs:
#   make study   reproduce every table, figure and REPORT.md in results/ from the configs in studies/,
#                and the results blocks of README.md and docs/ from them
#   make test    run the tests (swift test)
# Both first install what is missing (GSL, OpenBLAS, pkg-config, gnuplot) when run as root.
#
# Also:
#   make study-quick   every study on small sizes (studies/quick/ → results/quick/), about 10 s
#   make study-check   re-run studies/ and studies/quick/ into a scratch folder and compare every
#                      CSV with the committed results/ (what CI runs after the tests): the same bytes
#                      on the machine that made them; elsewhere numbers may move in their last bits
#                      (other BLAS kernels), within a bound from rounding (`hessian-study compare`)
#   make bench         every study timed whole (hessian-study run) against NumPy computing the same
#                      estimates (bench/studies.py), at several sizes, in one run: ratios, growth
#                      with d, the haar path against its floor (BLAS-3 + one eigen per replication)
#   make bench-guard   short version for CI (about a minute): fails if a study is slower than NumPy
#   make test-slurm    as root: a real one-node Slurm cluster on loopback runs a study as an array job
#                      and with scripts/parallel.sh; the merged CSVs must match an unsharded run (~35 s)
#   make mutants       the mutation harness (not run by CI: one build and one `swift test` per mutant,
#                      ~80 s each): each mutant of Tests/mutants.json applied alone to a scratch copy, a table
#                      of the tests that killed it and the score with and without golden comparisons.
#                      MUTANTS_FLAGS='--only ID,ID' runs some; '--list' only validates the list

SWIFT   ?= swift
RELEASE := .build/release/hessian-study
CONFIGS := $(sort $(wildcard studies/*.json))
QUICK   := $(sort $(wildcard studies/quick/*.json))
SCRATCH := .build/study-check

.PHONY: all deps build test study study-quick study-check bench bench-guard test-slurm mutants mutants-generated clean

VENV := bench/.venv

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product hessian-study

test: deps
	$(SWIFT) test

DOCS := README.md $(sort $(wildcard docs/*.md))

study: build
	$(RELEASE) run $(CONFIGS) --out results
	$(RELEASE) report results
	$(RELEASE) quote results $(DOCS)

study-quick: build
	$(RELEASE) run $(QUICK) --out results/quick
	$(RELEASE) report results/quick

study-check: build
	rm -rf $(SCRATCH)
	$(RELEASE) run $(CONFIGS) --out $(SCRATCH)/full --quiet
	$(RELEASE) run $(QUICK) --out $(SCRATCH)/quick --quiet
	@pairs=; for f in results/*.csv results/quick/*.csv; do \
	  case $$f in results/quick/*) g=$(SCRATCH)/quick/$${f#results/quick/};; *) g=$(SCRATCH)/full/$${f#results/};; esac; \
	  pairs="$$pairs $$f $$g"; \
	done; $(RELEASE) compare $$pairs

$(VENV)/bin/python: bench/requirements.txt
	python3 -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install --quiet -r bench/requirements.txt
	touch $(VENV)/bin/python

bench: build $(VENV)/bin/python
	$(SWIFT) build -c release --product hessian-bench
	$(VENV)/bin/python bench/compare.py

bench-guard: build $(VENV)/bin/python
	$(SWIFT) build -c release --product hessian-bench
	$(VENV)/bin/python bench/compare.py --guard

test-slurm: build
	HESSIAN_STUDY=$(CURDIR)/$(RELEASE) scripts/slurm/test.sh

# Not in .ci/run: it rebuilds and re-tests once per mutant. Every change adds its own mutants to
# Tests/mutants.json (see README, "Mutation testing").
mutants: deps
	scripts/mutants.py $(MUTANTS_FLAGS)

# Operator mutants at sites drawn at random (scripts/mutants.py --generate), run resumably: each
# result is appended to Tests/mutants-generated.results.jsonl, and a later run goes on from there.
mutants-generated: deps
	scripts/mutants.py --mutants Tests/mutants-generated.json --results Tests/mutants-generated.results.jsonl $(MUTANTS_FLAGS)

clean:
	rm -rf .build
