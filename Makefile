# iommugrp: library, tool, docs, tests. Hand-written on purpose: one file a packager can read.
VERSION = 0.1.0
SONAME_MAJOR = 0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
INITRAMFSTOOLSDIR ?= $(PREFIX)/share/initramfs-tools
INITCPIODIR ?= $(PREFIX)/lib/initcpio
# Which initramfs generators get a hook: initramfs-tools (Debian), mkinitcpio (Arch).
INITRAMFS ?= initramfs-tools mkinitcpio
LIBEXECDIR ?= $(PREFIX)/libexec
SYSCONFDIR ?= /etc
DESTDIR ?=

# B is the build directory; check builds a sanitizer variant in $(B)/sanitize.
B ?= build
CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
SANITIZE ?=
DEPS = libudev libkmod smartcols
# Quiet for check/deps: on a fresh machine they parse this before `deps` installed them.
PC_QUIET := $(if $(filter check deps,$(MAKECMDGOALS)),2>/dev/null)
DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS) $(PC_QUIET))
# libkmod: headers only; lib/kernel.c dlopens libkmod.so.2 when a module is asked about.
DEP_LIBS_LIB := $(shell $(PKG_CONFIG) --libs libudev $(PC_QUIET))
DEP_LIBS_CLI := $(shell $(PKG_CONFIG) --libs smartcols $(PC_QUIET))

WARNINGS = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral
ALL_CFLAGS = -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -DVERSION='"$(VERSION)"' \
	$(DEP_CFLAGS) $(SANITIZE) $(CFLAGS)
ALL_LDFLAGS = $(SANITIZE) $(LDFLAGS)

LIB_SRCS = $(wildcard lib/*.c)
CLI_SRCS = $(wildcard cli/*.c)
UNIT_SRCS = $(wildcard tests/unit/test-*.c)
LIB_OBJS = $(LIB_SRCS:%.c=$(B)/%.o)
CLI_OBJS = $(CLI_SRCS:%.c=$(B)/%.o)
LIBNAME = libiommugrp.so
LIB = $(B)/$(LIBNAME).$(VERSION)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
BOOT_FILES = $(B)/udev/05-iommugrp.rules $(B)/initramfs/initramfs-tools-hook \
	$(B)/initramfs/mkinitcpio-install
PRELOAD = $(B)/tests/preload/sysfs-fake.so

.PHONY: fuzz check-fuzz
.PHONY: all deps bench check check-quick check-unit check-cli check-valgrind check-sanitize check-install \
	check-pkgbuild check-deb check-contrib vm-kernel libvirt-hook check-man check-examples check-format check-completions check-cold-paths check-initramfs vmcheck vmcheck-patched $(VM_TARGETS:%=vmcheck-%) \
	check-kernel-v1 demo install uninstall clean
all: $(B)/iommugrp $(B)/libiommugrp.pc $(B)/iommugrp.8 $(B)/iommugrp.conf.5 $(B)/libiommugrp.3 $(BOOT_FILES)
# The test preload too (make all builds what tests/vm ships into the guest).
all: $(PRELOAD)

$(B)/lib/%.o: lib/%.c lib/*.h shared/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(B)/cli/%.o: cli/%.c cli/*.h lib/iommugrp.h shared/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib -c -o $@ $<

$(LIB): $(LIB_OBJS) lib/libiommugrp.sym
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,$(LIBNAME).$(SONAME_MAJOR) \
		-Wl,--version-script=lib/libiommugrp.sym -Wl,-z,defs -o $@ $(LIB_OBJS) $(DEP_LIBS_LIB)
	ln -sf $(LIBNAME).$(VERSION) $(B)/$(LIBNAME).$(SONAME_MAJOR)
	ln -sf $(LIBNAME).$(VERSION) $(B)/$(LIBNAME)

# build/iommugrp runs as built: it finds the library next to itself ($ORIGIN). The installed
# binary is linked apart, without that rpath, so it uses the installed library only.
$(B)/iommugrp: $(CLI_OBJS) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) -L$(B) -liommugrp $(DEP_LIBS_CLI) -Wl,-rpath,'$$ORIGIN'

$(B)/install/iommugrp: $(CLI_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) -L$(B) -liommugrp $(DEP_LIBS_CLI)

# libvirt's qemu hook (contrib/libvirt): part of all when libxml2 is there, else make libvirt-hook.
HAVE_LIBXML2 := $(shell $(PKG_CONFIG) --exists libxml-2.0 && echo yes)
LIBVIRT_HOOK = $(B)/libvirt-qemu-hook
ifeq ($(HAVE_LIBXML2),yes)
all: $(LIBVIRT_HOOK) $(B)/qemu.d-iommugrp
endif
libvirt-hook: $(LIBVIRT_HOOK) $(B)/qemu.d-iommugrp
$(LIBVIRT_HOOK): contrib/libvirt/libvirt-qemu-hook.c lib/iommugrp.h $(LIB)
	$(CC) $(ALL_CFLAGS) -Ilib $$($(PKG_CONFIG) --cflags libxml-2.0) -o $@ $< \
		-L$(B) -liommugrp $$($(PKG_CONFIG) --libs libxml-2.0) $(ALL_LDFLAGS)
# What libvirt runs from its qemu.d: a configuration file an admin can delete.
$(B)/qemu.d-iommugrp: contrib/libvirt/qemu.d-iommugrp.in $(B)/paths.stamp
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|' $< > $@

# Rewritten only when the install paths change, so make install PREFIX=... gets a fresh .pc.
$(B)/paths.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(LIBEXECDIR)' | cmp -s - $@ || echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(LIBEXECDIR)' > $@
FORCE:

$(B)/libiommugrp.pc: lib/libiommugrp.pc.in $(B)/paths.stamp
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' $< > $@

# The udev rule and the initramfs hooks name the installed binary and rule by their paths, and
# the hooks libkmod.so.2 by its own: the library dlopens it, so ldd (copy_exec, add_binary of
# iommugrp) does not list it.
LIBKMOD_SO ?= $(shell $(PKG_CONFIG) --variable=libdir libkmod $(PC_QUIET))/libkmod.so.2
BOOT_SED = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@UDEVRULESDIR@|$(UDEVRULESDIR)|g' \
	-e 's|@LIBKMOD_SO@|$(LIBKMOD_SO)|g'
$(B)/boot-paths.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(BINDIR) $(UDEVRULESDIR) $(LIBKMOD_SO)' | cmp -s - $@ || echo '$(BINDIR) $(UDEVRULESDIR) $(LIBKMOD_SO)' > $@
$(B)/udev/05-iommugrp.rules: udev/05-iommugrp.rules.in $(B)/boot-paths.stamp
	@mkdir -p $(@D)
	$(BOOT_SED) $< > $@
$(B)/initramfs/initramfs-tools-hook: initramfs/initramfs-tools/hook.in $(B)/boot-paths.stamp
	@mkdir -p $(@D)
	$(BOOT_SED) $< > $@
$(B)/initramfs/mkinitcpio-install: initramfs/mkinitcpio/install.in $(B)/boot-paths.stamp
	@mkdir -p $(@D)
	$(BOOT_SED) $< > $@

$(B)/iommugrp.8: man/iommugrp.8.scd
	@mkdir -p $(@D)
	sed 's|@VERSION@|$(VERSION)|' $< | scdoc > $@

$(B)/iommugrp.conf.5: man/iommugrp.conf.5.scd
	@mkdir -p $(@D)
	sed 's|@VERSION@|$(VERSION)|' $< | scdoc > $@
# libiommugrp(3) from the header's doc comments.
$(B)/libiommugrp.3: lib/iommugrp.h man/gen-libiommugrp
	@mkdir -p $(@D)
	man/gen-libiommugrp lib/iommugrp.h | sed 's|@VERSION@|$(VERSION)|' | scdoc > $@

# Unit tests link the library's objects directly so they can reach internal parsers.
$(B)/tests/test-%: tests/unit/test-%.c tests/unit/unit.h $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ $< $(LIB_OBJS) $(DEP_LIBS_LIB) $(ALL_LDFLAGS)

# test-stream holds cli/stream.c to libsmartcols' own output.
$(B)/tests/test-stream: cli/stream.c cli/json.c cli/cli.h
$(B)/tests/test-stream: DEP_LIBS_LIB += $(DEP_LIBS_CLI)

# --- tests -------------------------------------------------------------------
# The test-only preload (fault injection, sysfs write semantics on fixtures): never installed,
# built without the sanitizers so it can come first in LD_PRELOAD.
$(PRELOAD): tests/preload/sysfs-fake.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARNINGS) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
RUN_ENV = LD_LIBRARY_PATH=$(abspath $(B)) IOMMUGRP=$(abspath $(B))/iommugrp

check-unit: $(UNIT_BINS)
	tests/unit/run $(UNIT_BINS)

check-cli: all $(PRELOAD)
	$(RUN_ENV) tests/cli/run

check-man: $(B)/iommugrp.8 $(B)/iommugrp.conf.5 $(B)/libiommugrp.3
	tests/check-man $(B)/iommugrp.8 $(B)/libiommugrp.3
	tests/check-man $(B)/iommugrp.conf.5

check-examples: all
	B=$(abspath $(B)) tests/check-examples

# Every C file as .clang-format writes it.
check-format:
	tests/check-format

check-completions: all
	$(RUN_ENV) tests/completions/run

check-sanitize:
	$(MAKE) B=$(B)/sanitize SANITIZE="$(SAN_FLAGS)" CFLAGS="-O1 -g" check-unit check-cli

# valgrind's own lines go to one log per process, not to the stderr the tests compare (valgrind
# 3.19 warns on every openat2, a system call it does not know: the library then takes its
# walk, which this run exercises); errors still fail the call (99), and tests/cli/run prints
# every log that reports one.
check-valgrind: all $(PRELOAD)
	rm -rf $(abspath $(B))/valgrind && mkdir -p $(abspath $(B))/valgrind
	$(RUN_ENV) IOMMUGRP_VALGRIND_LOGS=$(abspath $(B))/valgrind \
		IOMMUGRP_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --log-file=$(abspath $(B))/valgrind/%p.log" \
		tests/cli/run

check-install: all
	B=$(abspath $(B)) tests/check-install

check-pkgbuild:
	tests/check-pkgbuild

# The caches' cold paths (kernel build, Debian kernel fetch), so a warm machine tests them too.
check-cold-paths:
	tests/check-cold-paths

# Builds the .debs from a copy of the tree, lintian, installs them into a scratch root (~80 s).
check-deb:
	tests/check-deb

# mkinitramfs builds real images with the hook (Debian's 6.12 from the VM cache); needs root.
check-initramfs: all
	B=$(abspath $(B)) tests/check-initramfs

# contrib/: the libvirt hook on fixtures, the Ansible fact (run by Ansible), the NFD file.
check-contrib: all
	$(RUN_ENV) tests/contrib/run

# libFuzzer harnesses (tests/fuzz/README.md): every tests/fuzz/fuzz-NAME.c, with its seeds in
# tests/fuzz/corpus/NAME/, linked with the library built by clang with the sanitizers.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS = -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -DVERSION='"$(VERSION)"' $(DEP_CFLAGS) -g -O1 \
	-fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS = $(FUZZ_NAMES:%=$(B)/fuzz/fuzz-%)
FUZZ_LIB_OBJS = $(LIB_SRCS:%.c=$(B)/fuzz/%.o)
# Kept (make would delete them as intermediates): check-quick's check-fuzz then links only.
.SECONDARY: $(FUZZ_LIB_OBJS)

$(B)/fuzz/lib/%.o: lib/%.c lib/*.h shared/*.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Ilib -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJS) \
		$(DEP_LIBS_LIB)

# make fuzz: each harness for FUZZ_SECONDS of random inputs; make check-fuzz: each replays its
# corpus once (the same inputs every run, a regression test: a finding goes into the corpus).
fuzz: $(FUZZ_BINS)
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BINS)

check-fuzz: $(FUZZ_BINS)
	tests/fuzz/run --replay $(FUZZ_BINS)

# Debian's 6.1 and 6.12, and 6.1 with kernel/*.patch (built once, then cached).
# The patched test kernel alone (built once per kernel/ and test-patch contents, then cached).
vm-kernel:
	tests/vm/kernel/build > $(B)/patched-kernel.out

# The VM suites, a table of platform x kernel: make vmcheck-PLATFORM-KERNEL boots one row
# (tests/vm/vmcheck --platform PLATFORM --kernel KERNEL). KERNEL is what vmcheck --kernel takes
# (Debian's 6.1, 6.12), or a row's VM_BUILD_<row> command prints the kernel's path as its last
# line (built once, then cached). make vmcheck runs every row, one vmcheck per platform, so the
# boots of all its kernels share the cores (tests/vm/README.md). A new row: add its name here,
# and VM_BUILD_<row> when its kernel is built; a new platform also needs its QEMU options in
# tests/vm/lib.sh (vm_platform_args).
VM_TARGETS = intel-6.1 intel-6.12 intel-patched
VM_BUILD_intel-patched = tests/vm/kernel/build
VM_PLATFORMS = $(sort $(foreach t,$(VM_TARGETS),$(firstword $(subst -, ,$(t)))))
# vm_kernel ROW: shell words giving vmcheck's --kernel for ROW (after its build, if any, ran).
vm_kernel = $(if $(VM_BUILD_$(1)),"$$(tail -n 1 $(B)/vm-kernel-$(1).out)",$(patsubst $(firstword $(subst -, ,$(1)))-%,%,$(1)))
vm_build = $(if $(VM_BUILD_$(1)),$(VM_BUILD_$(1)) > $(B)/vm-kernel-$(1).out &&) true

$(VM_TARGETS:%=vmcheck-%): vmcheck-%: all
	$(call vm_build,$*)
	tests/vm/vmcheck --platform $(firstword $(subst -, ,$*)) --kernel $(call vm_kernel,$*)

# Every patched kernel's row (vmcheck-intel-patched; arm64's when it comes).
vmcheck-patched: $(patsubst %,vmcheck-%,$(filter %-patched,$(VM_TARGETS)))

vmcheck: all
	$(foreach t,$(VM_TARGETS),$(call vm_build,$(t)) && ) true
	@rc=0; $(foreach p,$(VM_PLATFORMS),tests/vm/vmcheck --platform $(p) \
		$(foreach t,$(filter $(p)-%,$(VM_TARGETS)),--kernel $(call vm_kernel,$(t))) || rc=1; ) exit $$rc

# Opt-in, never part of make check (about 15 min): the first release of the type change patch,
# without the prerequisite backports (kernel/0002, 0003), must crash in test 76 (kernel/README.md,
# "The race without the prerequisites"). Succeeds when it does; the run's log is in $(B)/.
V1_SPLAT = BUG: KASAN: null-ptr-deref in intel_iommu_attach_device
check-kernel-v1: all
	tests/vm/kernel/build --first-release > $(B)/v1-kernel.out
	@rc=0; tests/vm/vmcheck --kernel "$$(tail -n 1 $(B)/v1-kernel.out)" --only '76-*' \
		>$(B)/check-kernel-v1.log 2>&1 || rc=$$?; \
	grep -E '^(PASS|FAIL|# 76)|BUG:|Oops:|passed, ' $(B)/check-kernel-v1.log | sed 's/^ *//' | awk '!seen[$$0]++'; \
	if [ $$rc -ne 0 ] && grep -q '$(V1_SPLAT)' $(B)/check-kernel-v1.log; then \
		echo "check-kernel-v1: the v1 kernel crashed as expected ($(V1_SPLAT))"; \
	else echo "check-kernel-v1: FAILED: no '$(V1_SPLAT)' (vmcheck status $$rc, $(B)/check-kernel-v1.log)"; \
		exit 1; fi

bench: all
	$(RUN_ENV) tests/bench/run
	$(RUN_ENV) tests/bench/boot
	$(RUN_ENV) tests/bench/host-use

demo:
	tests/vm/demo

# The release tarball the PKGBUILD builds from: the tracked files as they are in the tree
# (a plain tar of it without .git and build/ where git is missing), under iommugrp-VERSION/,
# reproducible (sorted, root-owned, the last commit's time, gzip -n); its sha256 is printed.
DIST = $(B)/iommugrp-$(VERSION).tar.gz
dist:
	@mkdir -p $(B)
	@mtime=$$(git log -1 --format=%cI 2>/dev/null || echo 2026-01-01T00:00:00Z); \
	if git rev-parse --git-dir >/dev/null 2>&1; then git ls-files -z; \
	else find . \( -path ./.git -o -path ./$(B) \) -prune -o ! -type d -printf '%P\0'; fi | \
	tar --null -T - --sort=name --owner=0 --group=0 --numeric-owner --mtime="$$mtime" \
		--transform 's,^,iommugrp-$(VERSION)/,' -cf - | gzip -n > $(DIST)
	@sha256sum $(DIST)
.PHONY: dist

# Debian packages for building and testing (a no-op when present or not on Debian).
deps:
	scripts/install-deps

# The edit loop's tier: what needs no VM, no root, no package build and no second build of the
# tree (about 100 s warm on 2 cores with a kernel build beside it; most of it is check-cli).
QUICK_CHECKS = check-unit check-fuzz check-cli check-man check-examples check-format \
	check-completions check-install check-contrib

# PKGBUILD's check() runs make check again; it skips what would recurse or boot VMs, and the
# sanitizer and valgrind reruns of the same sources, which the outer run has just done.
CHECKS = check-unit check-fuzz check-cli check-man check-examples check-format check-completions check-install
ifndef IOMMUGRP_NESTED_CHECK
CHECKS += check-sanitize check-pkgbuild check-cold-paths check-deb check-initramfs check-contrib \
	vm-kernel vmcheck
# One core's work for a quarter of an hour: it runs beside the suites above (on the core they
# leave idle), and vmcheck starts only once it has ended, so the VMs' timing is not shared.
CHECKS_BESIDE = check-valgrind
endif

# RUN_SUITES: the shell of check and check-quick. Each suite of $$suites in turn, going on past
# failures (as -k would), with its time; $$beside_suites in the background from the start, its
# output in $(B)/check-beside.log, shown when it ends (vmcheck waits for it, so the VMs have the
# cores). At the end every suite's time, the total, and the failed suites (status 1). $$name
# names the run in its lines.
RUN_SUITES = failed=; beside=; times=; t0=$$(date +%s); \
	if [ -n "$$beside_suites" ]; then rm -f $(B)/check-beside.failed $(B)/check-beside.times; \
		( for t in $$beside_suites; do start=$$(date +%s); \
			$(MAKE) --no-print-directory $$t || echo "$$t" >>$(B)/check-beside.failed; \
			echo "$$t $$(($$(date +%s) - start)) (beside)" >>$(B)/check-beside.times; \
			echo "$$name: $$t took $$(($$(date +%s) - start)) s (beside the others)"; \
		done ) >$(B)/check-beside.log 2>&1 & beside=$$!; \
	fi; \
	join_beside() { wait $$beside; beside=; cat $(B)/check-beside.log; \
		failed="$$failed $$(cat $(B)/check-beside.failed 2>/dev/null)"; \
		times="$$times$$(cat $(B)/check-beside.times 2>/dev/null)\n"; }; \
	for t in $$suites; do \
		if [ $$t = vmcheck ] && [ -n "$$beside" ]; then join_beside; fi; \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory $$t || failed="$$failed $$t"; \
		echo "$$name: $$t took $$(($$(date +%s) - start)) s"; \
		times="$$times$$t $$(($$(date +%s) - start))\n"; done; \
	if [ -n "$$beside" ]; then join_beside; fi; \
	echo "$$name: suite times (s):"; printf "$$times" | awk 'NF { printf "  %-18s %5d %s\n", $$1, $$2, $$3 }'; \
	echo "$$name: total $$(($$(date +%s) - t0)) s (load average $$(cut -d' ' -f1-3 /proc/loadavg))"; \
	failed=$$(echo $$failed); \
	if [ -n "$$failed" ]; then echo "$$name: FAILED: $$failed"; exit 1; fi; \
	echo "$$name: all suites passed"

# The build is a make of its own: this one read pkg-config before `deps` installed the -dev
# packages.
check: deps
	@$(MAKE) --no-print-directory all $(PRELOAD)
	@name='make check'; suites='$(CHECKS)'; beside_suites='$(CHECKS_BESIDE)'; $(RUN_SUITES)

check-quick: all $(PRELOAD)
	@name='make check-quick'; suites='$(QUICK_CHECKS)'; beside_suites=; $(RUN_SUITES)

# --- install -----------------------------------------------------------------
install: all $(B)/install/iommugrp
	install -Dm755 $(B)/install/iommugrp $(DESTDIR)$(BINDIR)/iommugrp
	install -Dm755 $(LIB) $(DESTDIR)$(LIBDIR)/$(LIBNAME).$(VERSION)
	ln -sf $(LIBNAME).$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIBNAME).$(SONAME_MAJOR)
	ln -sf $(LIBNAME).$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIBNAME)
	install -Dm644 lib/iommugrp.h $(DESTDIR)$(INCLUDEDIR)/iommugrp.h
	install -Dm644 $(B)/libiommugrp.pc $(DESTDIR)$(PKGCONFIGDIR)/libiommugrp.pc
	install -Dm644 $(B)/iommugrp.8 $(DESTDIR)$(MANDIR)/man8/iommugrp.8
	install -Dm644 $(B)/iommugrp.conf.5 $(DESTDIR)$(MANDIR)/man5/iommugrp.conf.5
	install -Dm644 $(B)/libiommugrp.3 $(DESTDIR)$(MANDIR)/man3/libiommugrp.3
	install -Dm644 completions/iommugrp.bash $(DESTDIR)$(BASHCOMPDIR)/iommugrp
	install -Dm644 completions/_iommugrp $(DESTDIR)$(ZSHCOMPDIR)/_iommugrp
	install -Dm644 completions/iommugrp.fish $(DESTDIR)$(FISHCOMPDIR)/iommugrp.fish
	install -Dm644 $(B)/udev/05-iommugrp.rules $(DESTDIR)$(UDEVRULESDIR)/05-iommugrp.rules
ifneq ($(filter initramfs-tools,$(INITRAMFS)),)
	install -Dm755 $(B)/initramfs/initramfs-tools-hook $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/iommugrp
endif
ifneq ($(filter mkinitcpio,$(INITRAMFS)),)
	install -Dm644 $(B)/initramfs/mkinitcpio-install $(DESTDIR)$(INITCPIODIR)/install/iommugrp
endif
	install -Dm755 contrib/ansible/iommugrp.fact $(DESTDIR)$(LIBEXECDIR)/iommugrp/iommugrp.fact
	install -Dm755 contrib/nfd/iommugrp-nfd $(DESTDIR)$(LIBEXECDIR)/iommugrp/nfd-features
ifeq ($(HAVE_LIBXML2),yes)
	install -Dm755 $(LIBVIRT_HOOK) $(DESTDIR)$(LIBEXECDIR)/iommugrp/libvirt-qemu-hook
	install -Dm755 $(B)/qemu.d-iommugrp $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d/iommugrp
endif

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/iommugrp \
		$(DESTDIR)$(LIBDIR)/$(LIBNAME).$(VERSION) \
		$(DESTDIR)$(LIBDIR)/$(LIBNAME).$(SONAME_MAJOR) \
		$(DESTDIR)$(LIBDIR)/$(LIBNAME) \
		$(DESTDIR)$(INCLUDEDIR)/iommugrp.h \
		$(DESTDIR)$(PKGCONFIGDIR)/libiommugrp.pc \
		$(DESTDIR)$(MANDIR)/man8/iommugrp.8 \
		$(DESTDIR)$(MANDIR)/man5/iommugrp.conf.5 \
		$(DESTDIR)$(MANDIR)/man3/libiommugrp.3 \
		$(DESTDIR)$(BASHCOMPDIR)/iommugrp \
		$(DESTDIR)$(ZSHCOMPDIR)/_iommugrp \
		$(DESTDIR)$(FISHCOMPDIR)/iommugrp.fish \
		$(DESTDIR)$(UDEVRULESDIR)/05-iommugrp.rules \
		$(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/iommugrp \
		$(DESTDIR)$(INITCPIODIR)/install/iommugrp \
		$(DESTDIR)$(LIBEXECDIR)/iommugrp/iommugrp.fact \
		$(DESTDIR)$(LIBEXECDIR)/iommugrp/nfd-features \
		$(DESTDIR)$(LIBEXECDIR)/iommugrp/libvirt-qemu-hook \
		$(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d/iommugrp

clean:
	rm -rf $(B)
