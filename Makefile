# HessianStudy. The two commands a newcomer needs:
#   make study   reproduce every result table in results/ from the configs in studies/
#   make test    run the tests (swift test)
# Both first install what is missing (GSL, OpenBLAS, pkg-config) when run as root.

SWIFT   ?= swift
RELEASE := .build/release/hessian-study
CONFIGS := $(sort $(wildcard studies/*.json))

.PHONY: all deps build test study clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product hessian-study

test: deps
	$(SWIFT) test

study: build
	$(RELEASE) run $(CONFIGS) --out results

clean:
	rm -rf .build
