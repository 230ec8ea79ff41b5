# Makefile - builds the static pi binary, its two links, the tests and the install.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DESTDIR     ?=
CONFIG_PATH ?= /etc/pi-agent/config.json
RUNTIME_DIR ?= /run/pi-agent
RUNNER_PATH ?= $(BINDIR)/pi-runner
# the sudoers drop-in pi and pi-runner --check tell the admin to put the rule in; empty (the
# Nix package) names the NixOS module's hostUsers instead, which writes the rule
SUDOERS_FILE ?= /etc/sudoers.d/pi-agent
VERSION     ?= 0.1.0

CC          ?= cc
MUSL_CC     ?= musl-gcc
CLANG       ?= clang
# jsmn is header-only: the system's jsmn.h is linked into build/include, because musl-gcc
# does not search /usr/include.
JSMN_H      ?= /usr/include/jsmn.h
WARN   = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
         -Wmissing-prototypes -Wvla -Wpointer-arith -Wundef -Wno-unused-parameter \
         -Wno-format-truncation
DEFS   = -D_GNU_SOURCE -DPI_CONFIG_PATH='"$(CONFIG_PATH)"' \
         -DPI_RUNTIME_DIR='"$(RUNTIME_DIR)"' -DPI_RUNNER_PATH='"$(RUNNER_PATH)"' \
         -DPI_SUDOERS_FILE='"$(SUDOERS_FILE)"' \
         -DPI_VERSION='"$(VERSION)"'
# The folders by concern (docs/LAYOUT.md): each header is found by its name alone.
DIRS   = launch net priv lib
INCS   = -I. $(addprefix -I,$(DIRS)) -Ibuild/include
BASE_CFLAGS = -std=c11 $(WARN) $(DEFS) $(INCS)
REL_CFLAGS  = $(BASE_CFLAGS) -Os -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
              -fno-asynchronous-unwind-tables -fno-unwind-tables \
              -ffunction-sections -fdata-sections
REL_LDFLAGS = -static -s -Wl,--gc-sections
SAN_CFLAGS  = $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer \
              -fsanitize=address,undefined -fno-sanitize-recover=all

SRCS  = pi.c say.c deny.c wrapper.c runner.c agentinit.c check.c mergecmd.c proxy.c policy.c sync.c merge.c sandbox.c \
        launch/plan.c launch/prepare.c launch/project.c launch/projcfg.c launch/hide.c launch/suspend.c \
        launch/agentver.c launch/sudorule.c launch/slice.c launch/coverwatch.c \
        net/netns.c net/netpolicy.c net/proxyreq.c \
        priv/ident.c priv/fs.c priv/inherit.c priv/caller.c priv/mounts.c priv/cover.c priv/idmap.c \
        lib/json.c lib/config.c lib/audit.c lib/resources.c
HDRS  = $(wildcard *.h $(addsuffix /*.h,$(DIRS)))
UNITS = $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

.PHONY: FORCE all release asan unit tsan shape test integration attacks install clean e2e demo bench fuzz deb man
all: release
release: build/pi build/pi-runner build/pi-merge build/pi-agent-init

# Rebuilds when the compiled-in paths change (make install PREFIX=/usr after make).
build/flags: FORCE
	@mkdir -p build
	@echo '$(DEFS) $(JSMN_H)' | cmp -s - $@ || echo '$(DEFS) $(JSMN_H)' >$@
FORCE:

build/include/jsmn.h: $(JSMN_H)
	@mkdir -p build/include
	ln -sf $(JSMN_H) $@

build/pi: $(SRCS) $(HDRS) Makefile build/include/jsmn.h build/flags
	@mkdir -p build
	$(MUSL_CC) $(REL_CFLAGS) -o $@ $(SRCS) $(REL_LDFLAGS)

# The manual pages name the runner's path of their install (man/ holds @RUNNER_PATH@):
# build/man for make install, build/deb/man for the package's /usr/bin/pi-runner.
MANPAGES = pi.1 pi-merge.1 pi-runner.8
man: $(addprefix build/man/,$(MANPAGES))
build/man/%: man/% FORCE
	@mkdir -p $(@D)
	sed 's|@RUNNER_PATH@|$(RUNNER_PATH)|g' $< >$@
build/deb/man/%: override PREFIX = /usr
build/deb/man/%: man/% FORCE
	@mkdir -p $(@D)
	sed 's|@RUNNER_PATH@|$(RUNNER_PATH)|g' $< >$@

# pi-agent-init: the agent unit's main process, a name no sudo rule grants; the runner finds it
# beside its own binary.
build/pi-runner build/pi-merge build/pi-agent-init: build/pi
	ln -sf pi $@

asan: build/asan/pi
build/asan/pi: $(SRCS) $(HDRS) Makefile build/include/jsmn.h build/flags
	@mkdir -p build/asan
	$(CC) $(SAN_CFLAGS) -o $@ $(SRCS) tests/asan-options.c
	ln -sf pi build/asan/pi-runner
	ln -sf pi build/asan/pi-merge
	ln -sf pi build/asan/pi-agent-init

# Each unit test links the module sources it names in its first line: "// links: a.c b.c".
# UNIT_CFLAGS: the Nix package builds them without sanitizers (musl has none). -Itests comes
# first: a test's "check.h" is tests/check.h, not check.c's header.
UNIT_CFLAGS ?= $(SAN_CFLAGS)
build/unit/%: tests/unit/%.c tests/check.h $(SRCS) $(HDRS) Makefile build/include/jsmn.h
	@mkdir -p build/unit
	$(CC) -Itests $(UNIT_CFLAGS) -o $@ $< $(shell sed -n '1s|^// links:||p' $<)

unit: $(addprefix build/unit/,$(UNITS))
	@set -e; for t in $^; do echo "== $$t"; $$t; done

# The sync's second thread, and pi_say that both its threads call, under ThreadSanitizer (clang's runtime; setarch -R gives it the
# fixed memory layout it needs). Part of make test, not of unit (the Nix check has no clang).
tsan: build/unit/test_sync-tsan build/unit/test_say-tsan
	setarch -R build/unit/test_sync-tsan
	TSAN_OPTIONS=log_path=build/unit/test_say-tsan.log setarch -R build/unit/test_say-tsan || \
		{ cat build/unit/test_say-tsan.log.* >&2; false; }
build/unit/test_say-tsan: tests/unit/test_say.c tests/check.h say.c $(HDRS) Makefile build/include/jsmn.h
	@mkdir -p build/unit
	$(CLANG) -Itests $(BASE_CFLAGS) -Wno-unknown-warning-option -O1 -g -fsanitize=thread -o $@ tests/unit/test_say.c say.c
build/unit/test_sync-tsan: tests/unit/test_sync.c tests/check.h sync.c priv/fs.c priv/ident.c $(HDRS) Makefile build/include/jsmn.h
	@mkdir -p build/unit
	$(CLANG) -Itests $(BASE_CFLAGS) -Wno-unknown-warning-option -O1 -g -fsanitize=thread -o $@ tests/unit/test_sync.c sync.c priv/fs.c priv/ident.c

# The tree's shape (tests/shape.py): modules below the personalities never print or exit, root's
# powers only in priv/, no include cycle.
shape:
	tests/shape.py

integration: release asan
	tests/integration/run.sh build
	tests/integration/run.sh build/asan

# Hostile-input suite: every attack must fail with nothing outside its allowed place changed.
attacks: release asan build/execrec
	tests/attacks/run.sh build
	tests/attacks/run.sh build/asan

# The attack suite's exec recorder (argvprop.py): a test tool, never installed.
build/execrec: tests/attacks/execrec.c Makefile
	@mkdir -p build
	$(CC) -std=c11 $(WARN) -D_GNU_SOURCE -O2 -o $@ $<

# Installs what it needs first (tests/deps.sh); attacks after integration: both use
# /etc/pi-agent/config.json.
test:
	tests/deps.sh test
	$(MAKE) shape unit tsan integration
	$(MAKE) attacks
	tests/sync-vs-rsync.sh
	tests/man.sh
	tests/nix.sh

# libFuzzer targets (clang, libclang-rt-14-dev) for FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz:
	tests/deps.sh build fuzz
	$(MAKE) build/include/jsmn.h
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# make bench: as root, on an idle machine (bench/run.sh; figures and ratios on stdout).
# build/bench/pi reads /etc/pi-agent/bench.json and keeps its runtime files and staged binds
# in /run/pi-bench*: the benchmark never touches what the installed binary or the tests use.
BENCH_BINS = build/bench/pi build/bench/sync-driver build/bench/timeit build/bench/noop \
             build/bench/stamp build/bench/proxyload
bench:
	tests/deps.sh build bench
	$(MAKE) release $(BENCH_BINS)
	bench/run.sh

build/bench/pi: CONFIG_PATH = /etc/pi-agent/bench.json
build/bench/pi: RUNTIME_DIR = /run/pi-bench
build/bench/pi: DEFS += -DPI_BINDS_DIR='"/run/pi-bench-binds"'
build/bench/pi: $(SRCS) $(HDRS) Makefile build/include/jsmn.h
	@mkdir -p build/bench
	$(MUSL_CC) $(REL_CFLAGS) -o $@ $(SRCS) $(REL_LDFLAGS)

build/bench/sync-driver: tests/sync-driver.c sync.c priv/fs.c priv/ident.c $(HDRS) Makefile
	@mkdir -p build/bench
	$(MUSL_CC) $(REL_CFLAGS) -o $@ tests/sync-driver.c sync.c priv/fs.c priv/ident.c $(REL_LDFLAGS)

build/bench/%: bench/%.c Makefile
	@mkdir -p build/bench
	$(MUSL_CC) $(REL_CFLAGS) -o $@ $< $(REL_LDFLAGS)

# A real systemd in a container (systemd-nspawn): see tests/e2e/lib.sh. Not part of `make
# test` (it boots a container); .ci/run runs it after.
e2e:
	tests/deps.sh build e2e
	$(MAKE) release deb
	tests/e2e/run.sh

# On a fresh Debian 12 machine: installs what it needs, builds, boots, runs the real agent
# (pi 0.73.1, installed once with npm) against a scripted local model, shows what happened.
demo:
	tests/deps.sh build e2e
	./build.sh
	E2E_NO_BUILD=1 tests/e2e/demo.sh

install: release man
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 build/pi $(DESTDIR)$(BINDIR)/pi
	ln -sf pi $(DESTDIR)$(BINDIR)/pi-runner
	ln -sf pi $(DESTDIR)$(BINDIR)/pi-merge
	ln -sf pi $(DESTDIR)$(BINDIR)/pi-agent-init
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 build/man/pi.1 build/man/pi-merge.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 build/man/pi-runner.8 $(DESTDIR)$(MANDIR)/man8/
	ln -sf pi-runner.8 $(DESTDIR)$(MANDIR)/man8/pi-agent-init.8

# The Debian package build/pi-agent-launcher_VERSION_ARCH.deb (deb/build.sh, dpkg-deb): the
# binary and its manual pages are built for PREFIX=/usr in build/deb, so their runner path is
# /usr/bin/pi-runner.
deb:
	tests/deps.sh build
	$(MAKE) build/deb/pi $(addprefix build/deb/man/,$(MANPAGES))
	deb/build.sh build/deb/pi build/deb/man $(VERSION) build
build/deb/pi: override PREFIX = /usr
build/deb/pi: override SUDOERS_FILE = /etc/sudoers.d/pi-agent-launcher
build/deb/pi: $(SRCS) $(HDRS) Makefile build/include/jsmn.h
	@mkdir -p build/deb
	$(MUSL_CC) $(REL_CFLAGS) -o $@ $(SRCS) $(REL_LDFLAGS)

clean:
	rm -rf build
