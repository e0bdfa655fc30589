# The README's two commands: `make up` (clusters + syncer, ready for kubectl) and `make test`.
SHELL := /bin/bash
STATE_DIR ?= $(CURDIR)/.state/clusters
export VSYNC_STATE_DIR := $(STATE_DIR)

.PHONY: all deps tools build up down status test test-unit lint typecheck clean bench

all: build

# npm installs Node 24 itself (the `node` package) into node_modules/.bin, which npm scripts use.
# `npm install` rather than `npm ci`: the registry this project can reach serves no macOS/Windows
# builds of optional native packages, so the lockfile cannot list them and `npm ci` rejects it;
# `npm install` installs exactly the locked versions it can resolve.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm: not found; install Node.js and npm (any version: npm brings Node 24)" >&2; exit 1; }
	npm install --no-audit --no-fund

deps: node_modules/.package-lock.json

tools:
	@bash hack/build-tools.sh kubernetes etcd kwok helm

build: deps
	npm run build

up: deps tools build
	@bash hack/up.sh

down:
	@bash hack/down.sh

status:
	@node_modules/.bin/node hack/cluster/cli.ts status --state-dir "$(STATE_DIR)"

test: deps tools build
	npm test

test-unit: deps
	npm test -- --selectProjects unit

lint: deps
	npm run lint
	npm run typecheck

typecheck: deps
	npm run typecheck

bench: deps tools build
	@echo "needs clusters and a syncer with --sync-all-configmaps: make up SYNCER_ARGS=--sync-all-configmaps"
	node_modules/.bin/node bench/sync-latency.ts

clean:
	rm -rf dist coverage test-results
