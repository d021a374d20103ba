# HessianStudy. The two commands a newcomer needs:
#   make study   reproduce every table, figure and REPORT.md in results/ from the configs in studies/
#   make test    run the tests (swift test)
# Both first install what is missing (GSL, OpenBLAS, pkg-config, gnuplot) when run as root.
#
# Also:
#   make study-quick   every study on small sizes (studies/quick/ → results/quick/), about 10 s
#   make study-check   re-run studies/ and studies/quick/ into a scratch folder and compare every
#                      CSV byte with the committed results/ (what CI runs after the tests)

SWIFT   ?= swift
RELEASE := .build/release/hessian-study
CONFIGS := $(sort $(wildcard studies/*.json))
QUICK   := $(sort $(wildcard studies/quick/*.json))
SCRATCH := .build/study-check

.PHONY: all deps build test study study-quick study-check clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product hessian-study

test: deps
	$(SWIFT) test

study: build
	$(RELEASE) run $(CONFIGS) --out results
	$(RELEASE) report results

study-quick: build
	$(RELEASE) run $(QUICK) --out results/quick
	$(RELEASE) report results/quick

study-check: build
	rm -rf $(SCRATCH)
	$(RELEASE) run $(CONFIGS) --out $(SCRATCH)/full --quiet
	$(RELEASE) run $(QUICK) --out $(SCRATCH)/quick --quiet
	@status=0; \
	for f in results/*.csv results/quick/*.csv; do \
	  case $$f in results/quick/*) g=$(SCRATCH)/quick/$${f#results/quick/};; *) g=$(SCRATCH)/full/$${f#results/};; esac; \
	  if cmp -s $$f $$g; then echo "same bytes: $$f"; else echo "DIFFERS: $$f (re-run in $$g)"; status=1; fi; \
	done; exit $$status

clean:
	rm -rf .build
