# The README's two commands: `make up` (clusters + syncer, ready for kubectl) and `make test`.
SHELL := /bin/bash
STATE_DIR ?= $(CURDIR)/.state/clusters
export VSYNC_STATE_DIR := $(STATE_DIR)

.PHONY: all deps tools test-tools build up down status test test-unit lint typecheck clean bench image image-test

all: build

# npm installs Node 24 itself (the `node` package) into node_modules/.bin, which npm scripts use.
# The lockfile also lists the other platforms' builds of native packages, which the registry here
# does not serve; hack/lock-platforms.mjs adds them after `npm install` so that `npm ci` accepts it.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm: not found; install Node.js and npm (any version: npm brings Node 24)" >&2; exit 1; }
	npm ci --no-audit --no-fund

deps: node_modules/.package-lock.json

# The control planes, kwok and helm; the tests also run the host's cert-manager (e2e/cert-manager.test.ts)
# and External Secrets Operator (e2e/external-secrets.test.ts).
TOOLS := kubernetes etcd kwok helm

tools:
	@bash hack/build-tools.sh $(TOOLS)

test-tools:
	@bash hack/build-tools.sh $(TOOLS) cert-manager external-secrets

build: deps
	npm run build

up: deps tools build
	@bash hack/up.sh

down:
	@bash hack/down.sh

status:
	@node_modules/.bin/node hack/cluster/cli.ts status --state-dir "$(STATE_DIR)"

test: deps test-tools build
	npm test

test-unit: deps
	npm test -- --selectProjects unit

lint: deps
	npm run lint
	npm run typecheck

typecheck: deps
	npm run typecheck

# Pod-burst scenarios on fresh cluster pairs; results in bench/results/<date>-<commit>.{json,md,svg}.
# BENCH_ARGS picks scenarios or rounds, e.g. BENCH_ARGS="--scenarios burst-200 --rounds 2".
bench: deps tools build
	node_modules/.bin/node bench/pod-burst.ts $(BENCH_ARGS)

# The syncer image from the Dockerfile, built here with buildah (vfs) on a local base
# (hack/image/); writes an OCI archive into ~/.cache/vsyncer/image and imports it into the real
# node's containerd when one runs. image-test runs it with runc (opt-in: a rebuild takes minutes).
image: deps
	@bash hack/image/build.sh --import-realnode

image-test: deps
	VSYNC_IMAGE_TEST=1 npm test -- --selectProjects unit --testPathPatterns hack/image

clean:
	rm -rf dist coverage test-results
