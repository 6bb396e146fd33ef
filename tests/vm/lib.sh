# Host-side helpers for the VM harness (sourced by vmcheck, demo, fetch-kernels).
# bash, meant to run under `set -euo pipefail`.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd)
VM_CACHE=${IOMMUGRP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommugrp}
VM_KERNEL_CACHE=$VM_CACHE/vm-kernels
# One boot may never outlive this (QEMU is killed); the guest also bounds each test file.
# The patched test kernel runs with KASAN and lockdep, about twice as slow under TCG: its
# whole suite (boot 134 s, 05-20 in 284 s with a sanitizer run beside it) outgrew 1200 s.
VM_BOOT_TIMEOUT=${IOMMUGRP_VM_TIMEOUT:-2700}

# Modules put into the guest (Debian kernels), by name; dependencies come from modules.dep
# (vfio_virqfd on 6.1, iommufd on 6.12, ...). The NIC drivers and nvme (the VM's disk) are
# loaded at boot; vfio is only shipped, so that tests can watch iommugrp load vfio-pci itself.
# The rest are for guest/55-host-use.sh, which stacks on the NICs and the disk what real hosts
# stack (bridges, bonds, VLANs, device-mapper, ext4; ext4 needs a crc32c it cannot request: the
# guest has no /sbin/modprobe) and loads each only when the kernel does not have it built in.
VM_MODULES_LOADED=(e1000 e1000e nvme)
VM_MODULES_SHIPPED=(vfio vfio_iommu_type1 vfio_pci bridge bonding 8021q dm_mod ext4 crc32c_generic)
# Programs for that test (and guest-boot/boot-host-use.sh), from the host, in the guest's
# /usr/local/sbin (only those tests put it on PATH: busybox's ip stays the suite's ip).
VM_HOST_USE_TOOLS=(/usr/sbin/ip /usr/sbin/dmsetup /usr/sbin/mke2fs)

log() { printf 'vm: %s\n' "$*" >&2; }
die() { printf 'vm: error: %s\n' "$*" >&2; exit 1; }

# --- host tools, from Debian's apt only ------------------------------------------

apt_lists_present() {
	compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

apt_update_once() {
	[[ ${VM_APT_UPDATED:-} == 1 ]] && return 0
	log "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	VM_APT_UPDATED=1
}

# ensure_host_packages CMD:PACKAGE...: install PACKAGE when CMD is missing.
ensure_host_packages() {
	local pair cmd pkg missing=()
	for pair in "$@"; do
		cmd=${pair%%:*} pkg=${pair#*:}
		if [[ $cmd == /* ]]; then [[ -e $cmd ]] && continue
		else command -v "$cmd" >/dev/null && continue; fi
		missing+=("$pkg")
	done
	((${#missing[@]})) || return 0
	[[ $(id -u) == 0 ]] || die "need root to install: ${missing[*]}"
	apt_lists_present || apt_update_once
	log "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		{ apt_update_once && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; } ||
		die "apt-get install ${missing[*]} failed"
}

ensure_vm_tools() {
	# busybox-static, not busybox: the guest has no libc of its own for busybox.
	local busybox_pkg=()
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
		busybox_pkg=(/nonexistent-busybox-static:busybox-static)
	ensure_host_packages qemu-system-x86_64:qemu-system-x86 cpio:cpio jq:jq depmod:kmod \
		xz:xz-utils "${busybox_pkg[@]}" \
		/usr/sbin/ip:iproute2 /usr/sbin/dmsetup:dmsetup /usr/sbin/mke2fs:e2fsprogs
}

# --- Debian kernels -------------------------------------------------------------------

# Package name patterns per label (ERE for apt-cache search --names-only).
debian_kernel_pattern() {
	case $1 in
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
	*) die "unknown Debian kernel '$1' (want 6.1 or 6.12)" ;;
	esac
}

# newest_kernel_package LABEL: prints "NAME VERSION" of the newest candidate in apt's lists.
newest_kernel_package() {
	local pattern names name version best='' best_version=''
	pattern=$(debian_kernel_pattern "$1")
	names=$(apt-cache search --names-only "$pattern" | awk '{print $1}')
	if [[ -z $names ]]; then
		apt_update_once
		names=$(apt-cache search --names-only "$pattern" | awk '{print $1}')
	fi
	[[ -n $names ]] || return 1
	for name in $names; do
		version=$(apt-cache policy "$name" | awk '$1 == "Candidate:" {print $2}')
		[[ -n $version && $version != "(none)" ]] || continue
		if [[ -z $best ]] || dpkg --compare-versions "$version" gt "$best_version"; then
			best=$name best_version=$version
		fi
	done
	[[ -n $best ]] && echo "$best $best_version"
}

# As root, apt-get download would hand the download to user _apt, who cannot write to
# root's cache (a noisy warning): download as root directly.
apt_download() {
	local opts=()
	[[ $(id -u) == 0 ]] && opts=(-o APT::Sandbox::User=root)
	apt-get download -qq "${opts[@]}" "$@"
}

# fetch_debian_kernel LABEL: makes $VM_KERNEL_CACHE/LABEL hold the newest kernel for LABEL
# (boot/vmlinuz-*, lib/modules/*) and prints that directory. The stamp is written last,
# so a directory without it (interrupted download or extraction) is rebuilt.
fetch_debian_kernel() {
	local label=$1 dir=$VM_KERNEL_CACHE/$1 wanted tmp lock_fd
	if ! wanted=$(newest_kernel_package "$label"); then
		# No apt metadata for it: an earlier complete download is still good.
		[[ -f $dir/stamp ]] && { echo "$dir"; return 0; }
		die "no package matches $(debian_kernel_pattern "$label") in apt's lists"
	fi
	if [[ -f $dir/stamp && $(<"$dir/stamp") == "$wanted" ]]; then
		echo "$dir"
		return 0
	fi
	# The cache is shared by every checkout on the machine: one fetch per label at a time
	# (the lock goes with this function's subshell). Then re-check: another may have done it.
	mkdir -p "$VM_KERNEL_CACHE"
	exec {lock_fd}>"$VM_KERNEL_CACHE/.lock-$label"
	flock -w 900 "$lock_fd" || die "cache $VM_KERNEL_CACHE/$label is locked by another fetch"
	if [[ -f $dir/stamp && $(<"$dir/stamp") == "$wanted" ]]; then
		echo "$dir"
		return 0
	fi
	rm -rf "$VM_KERNEL_CACHE/.fetch-$label."* # left by an interrupted fetch
	log "fetching ${wanted% *} (${wanted#* }) into $dir"
	tmp=$(mktemp -d "$VM_KERNEL_CACHE/.fetch-$label.XXXXXX")
	# apt-get download drops privileges to _apt, which must be able to write there.
	chmod 755 "$tmp"
	(cd "$tmp" && apt_download "${wanted% *}=${wanted#* }" >&2) ||
		{ apt_update_once && (cd "$tmp" && apt_download "${wanted% *}=${wanted#* }" >&2); } ||
		{ rm -rf "$tmp"; die "apt-get download ${wanted% *} failed"; }
	mkdir "$tmp/root"
	dpkg -x "$tmp"/*.deb "$tmp/root" || { rm -rf "$tmp"; die "dpkg -x failed"; }
	rm -f "$tmp"/*.deb
	compgen -G "$tmp/root/boot/vmlinuz-*" >/dev/null || { rm -rf "$tmp"; die "no vmlinuz in ${wanted% *}"; }
	# The package leaves modules.dep to depmod at install time: make it here.
	local release
	for release in "$tmp"/root/lib/modules/*; do
		depmod -b "$tmp/root" "${release##*/}" || { rm -rf "$tmp"; die "depmod ${release##*/} failed"; }
	done
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rm -rf "$tmp"
	echo "$wanted" >"$dir/stamp"
	echo "$dir"
}

# --- Debian's udev (boots with vm.boot=NAME run the real systemd-udevd) ----------------

# fetch_debian_udev: makes $VM_CACHE/udev hold Debian's udev package, unpacked (bin/udevadm,
# lib/udev/rules.d/...), and prints that directory. Like the kernels: the candidate version
# from apt's lists, a lock, the stamp written last.
fetch_debian_udev() {
	local dir=$VM_CACHE/udev wanted tmp lock_fd
	wanted=$(apt-cache policy udev 2>/dev/null | awk '$1 == "Candidate:" {print $2}')
	if [[ -z $wanted || $wanted == "(none)" ]]; then
		[[ -f $dir/stamp ]] && { echo "$dir"; return 0; }
		apt_update_once
		wanted=$(apt-cache policy udev | awk '$1 == "Candidate:" {print $2}')
		[[ -n $wanted && $wanted != "(none)" ]] || die "no candidate for package udev in apt's lists"
	fi
	[[ -f $dir/stamp && $(<"$dir/stamp") == "$wanted" ]] && { echo "$dir"; return 0; }
	mkdir -p "$VM_CACHE"
	exec {lock_fd}>"$VM_CACHE/.lock-udev"
	flock -w 900 "$lock_fd" || die "cache $dir is locked by another fetch"
	[[ -f $dir/stamp && $(<"$dir/stamp") == "$wanted" ]] && { echo "$dir"; return 0; }
	rm -rf "$VM_CACHE/.fetch-udev."*
	log "fetching udev ($wanted) into $dir"
	tmp=$(mktemp -d "$VM_CACHE/.fetch-udev.XXXXXX")
	chmod 755 "$tmp"
	(cd "$tmp" && apt_download "udev=$wanted" >&2) ||
		{ apt_update_once && (cd "$tmp" && apt_download "udev=$wanted" >&2); } ||
		{ rm -rf "$tmp"; die "apt-get download udev failed"; }
	mkdir "$tmp/root"
	dpkg -x "$tmp"/*.deb "$tmp/root" || { rm -rf "$tmp"; die "dpkg -x udev failed"; }
	[[ -x $tmp/root/bin/udevadm && -f $tmp/root/lib/udev/rules.d/80-drivers.rules ]] ||
		{ rm -rf "$tmp"; die "the udev package has no bin/udevadm or 80-drivers.rules"; }
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rm -rf "$tmp"
	echo "$wanted" >"$dir/stamp"
	echo "$dir"
}

# add_udev_to_initramfs ROOT: Debian's udevadm (systemd-udevd is the same binary), its
# 80-drivers.rules (kmod load for MODALIAS), the project's rule as make builds it with the
# guest's paths, the boot configurations and guest-boot scripts, and the fault preload
# library when the tree has one. ROOT/etc/vm-modules is removed: udev loads the drivers.
add_udev_to_initramfs() {
	local root=$1 udev so
	udev=$(fetch_debian_udev)
	copy_with_libs "$root" "$udev/bin/udevadm" /bin/udevadm
	mkdir -p "$root/lib/systemd"
	ln -sf /bin/udevadm "$root/lib/systemd/systemd-udevd"
	install -D -m 644 "$udev/lib/udev/rules.d/80-drivers.rules" "$root/lib/udev/rules.d/80-drivers.rules"
	sed -e 's|@BINDIR@|/usr/bin|g' "$REPO_DIR/udev/05-iommugrp.rules.in" >"$root/lib/udev/rules.d/05-iommugrp.rules"
	rm -f "$root/etc/vm-modules"
	cp -r "$VM_DIR/guest-boot" "$VM_DIR/boot-configs" "$root/tests/"
	# The measurement boot (guest-boot/boot-bench.sh) times driverctl too: Debian's, with bash.
	if [[ ${VM_BOOT:-} == boot-bench ]]; then
		ensure_host_packages /usr/sbin/driverctl:driverctl bash:bash
		copy_with_libs "$root" "$(command -v bash)" /bin/bash
		install -D -m 755 /usr/sbin/driverctl "$root/usr/bin/driverctl"
		mkdir -p "$root/sbin"
		ln -sf /bin/busybox "$root/sbin/modprobe"
	fi
	for so in "$REPO_DIR"/build/tests/preload/*.so "$REPO_DIR"/build/preload/*.so; do
		[[ -e $so ]] && install -D -m 755 "$so" "$root/usr/lib/iommugrp-test/${so##*/}"
	done
	return 0
}

# --- initramfs --------------------------------------------------------------------------

# resolve_modules MODDIR NAME...: module files (relative to MODDIR) for NAME and their
# dependencies, dependencies first, each once. Unknown names are skipped.
resolve_modules() {
	local moddir=$1
	shift
	awk -v want="$*" '
		function norm(s) { gsub(/-/, "_", s); return s }
		function modname(path,   n) { n = path; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); return norm(n) }
		{ sub(/:$/, "", $1); path[modname($1)] = $1; line[modname($1)] = $0 }
		function visit(name,   n, i, parts) {
			if (!(name in path) || (name in seen)) return
			seen[name] = 1
			n = split(line[name], parts, /[ :]+/)
			for (i = 2; i <= n; i++) if (parts[i] != "") visit(modname(parts[i]))
			print path[name]
		}
		END { n = split(want, names, " "); for (i = 1; i <= n; i++) visit(norm(names[i])) }
	' "$moddir/modules.dep"
}

# copy_with_libs ROOT FILE DEST: copies an ELF program or library to ROOT/DEST plus every
# shared library ldd resolves (kept at their host paths, so the loader finds them).
copy_with_libs() {
	local root=$1 file=$2 dest=$3 lib
	install -D -m 755 "$file" "$root/$dest"
	while read -r lib; do
		# The project's own library goes to /usr/lib (build_initramfs), not to a /work path.
		[[ $lib == "$REPO_DIR"/build/* ]] && continue
		[[ -e $root$lib ]] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
	done < <(LD_LIBRARY_PATH="$REPO_DIR/build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$file" |
		awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}')
}

# loader_path SONAME: the file the host's dynamic loader opens for SONAME (its cache, x86-64
# objects), for libraries that are dlopened and so never in ldd's answer.
loader_path() {
	# awk reads to the end: leaving early would kill ldconfig with SIGPIPE, which pipefail
	# turns into a failure whenever ldconfig had not finished writing.
	PATH=$PATH:/sbin:/usr/sbin ldconfig -p |
		awk -v so="$1" '!found && $1 == so && /x86-64/ { print $NF; found = 1 } END { exit !found }'
}

# build_vfio_holder: static build/vm/vfio-holder from tests/vm/kernel/vfio-holder.c, when stale.
build_vfio_holder() {
	local src=$VM_DIR/kernel/vfio-holder.c out=$REPO_DIR/build/vm/vfio-holder
	local tmp
	[[ -x $out && $out -nt $src ]] && return 0
	mkdir -p "${out%/*}"
	# Built aside and renamed: another run may be reading the old one. mktemp, not $$: the
	# kernels' initramfs are built in parallel subshells, which share $$.
	tmp=$(mktemp "$out.XXXXXX")
	cc -O2 -Wall -static -o "$tmp" "$src" || { rm -f "$tmp"; log "could not build vfio-holder"; return 1; }
	chmod 755 "$tmp"
	mv -f "$tmp" "$out"
}

# build_initramfs OUT KERNEL_MODDIR|-: writes an uncompressed cpio (fast to unpack under TCG).
# KERNEL_MODDIR is the kernel's lib/modules/<release> directory, or - for a kernel with
# everything built in.
build_initramfs() {
	local out=$1 moddir=$2 root release rel
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,etc,usr/bin,usr/lib}
	install -m 755 /bin/busybox "$root/bin/busybox"
	install -m 755 "$VM_DIR/guest-init" "$root/init"

	if [[ $moddir != - ]]; then
		release=$(basename "$moddir")
		mkdir -p "$root/lib/modules/$release"
		cp "$moddir"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$release/" 2>/dev/null || true
		while read -r rel; do
			install -D -m 644 "$moddir/$rel" "$root/lib/modules/$release/$rel"
			# busybox insmod/modprobe cannot read compressed modules: store them plain.
			case $rel in
			*.xz) xz -d "$root/lib/modules/$release/$rel" ;;
			*.zst) zstd -q -d --rm "$root/lib/modules/$release/$rel" ;;
			*.gz) gzip -d "$root/lib/modules/$release/$rel" ;;
			esac
		done < <(resolve_modules "$moddir" "${VM_MODULES_LOADED[@]}" "${VM_MODULES_SHIPPED[@]}")
		# Indexes for busybox modprobe and for libkmod (used by iommugrp to load vfio-pci).
		depmod -b "$root" "$release"
		printf '%s\n' "${VM_MODULES_LOADED[@]}" >"$root/etc/vm-modules"
		# As on an installed system: iommugrp status reads the boot policy from it.
		[[ -f $moddir/../../../boot/config-$release ]] &&
			install -D -m 644 "$moddir/../../../boot/config-$release" "$root/boot/config-$release"
	fi

	# vmcheck clears VM_INCLUDE_IOMMUGRP when the build failed: never test a stale binary.
	if [[ ${VM_INCLUDE_IOMMUGRP:-1} == 1 && -x $REPO_DIR/build/iommugrp ]]; then
		local so
		for so in "$REPO_DIR"/build/libiommugrp.so*; do
			[[ -e $so ]] && cp -P "$so" "$root/usr/lib/"
		done
		copy_with_libs "$root" "$REPO_DIR/build/iommugrp" /usr/bin/iommugrp
		# libkmod.so.2, which loads vfio-pci: the library dlopens it (lib/kernel.c), so ldd
		# of iommugrp does not name it. Where the host's loader finds it, with its libraries.
		local libkmod
		libkmod=$(loader_path libkmod.so.2) ||
			die "libkmod.so.2 not found (ldconfig -p): the guest's iommugrp could not load vfio-pci"
		copy_with_libs "$root" "$libkmod" "$libkmod"
		# contrib/libvirt's qemu hook, with libxml2 (built by make all where libxml2 is).
		if [[ -x $REPO_DIR/build/libvirt-qemu-hook ]] &&
			make -q -C "$REPO_DIR" build/libvirt-qemu-hook >/dev/null 2>&1; then
			copy_with_libs "$root" "$REPO_DIR/build/libvirt-qemu-hook" /usr/libexec/iommugrp/libvirt-qemu-hook
		fi
		# The test preload (IOMMUGRP_FAULT), never part of an install.
		[[ -f $REPO_DIR/build/tests/preload/sysfs-fake.so ]] &&
			install -D -m 755 "$REPO_DIR/build/tests/preload/sysfs-fake.so" "$root/usr/lib/iommugrp-test/sysfs-fake.so"
	fi
	copy_with_libs "$root" "$(command -v jq)" /usr/bin/jq
	local tool
	for tool in "${VM_HOST_USE_TOOLS[@]}"; do
		copy_with_libs "$root" "$tool" "/usr/local/sbin/${tool##*/}"
	done
	[[ -f /etc/mke2fs.conf ]] && install -D -m 644 /etc/mke2fs.conf "$root/etc/mke2fs.conf"
	# Vendor and model names come from udev's hwdb.
	# (/lib/udev/hwdb.bin: one of the places libudev looks, /lib being no symlink here)
	[[ -f /lib/udev/hwdb.bin ]] && install -D -m 644 /lib/udev/hwdb.bin "$root/lib/udev/hwdb.bin"

	# C.UTF-8 for the demo's tree lines on a UTF-8 terminal (guest-init sets LANG on vm.utf8=1).
	[[ -d /usr/lib/locale/C.utf8 ]] && mkdir -p "$root/usr/lib/locale" && cp -r /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"

	mkdir -p "$root/tests"
	cp -r "$VM_DIR/guest" "$VM_DIR/guest-demo" "$root/tests/"
	# The kernel-patch tests (tests/vm/kernel/guest) run beside ours, in one numbered order.
	if [[ -d $VM_DIR/kernel/guest ]]; then
		cp "$VM_DIR"/kernel/guest/* "$root/tests/guest/"
	fi
	# vfio-holder claims a group the way a VMM does (tests of ownership and release).
	if [[ -f $VM_DIR/kernel/vfio-holder.c ]]; then
		build_vfio_holder && install -m 755 "$REPO_DIR/build/vm/vfio-holder" "$root/usr/bin/vfio-holder"
	fi

	[[ ${VM_UDEV:-0} == 1 ]] && add_udev_to_initramfs "$root"

	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out"
	rm -rf "$root"
}

# --- QEMU ---------------------------------------------------------------------------------

# vm_platform_args: the machine and IOMMU options of VM_PLATFORM (default intel), then
# " -append " and the kernel parameters that platform needs. A platform is a row here (an
# AMD one: -device amd-iommu) and a name for vmcheck --platform and the
# Makefile's vmcheck-PLATFORM-KERNEL targets.
vm_platform_args() {
	case ${VM_PLATFORM:-intel} in
	intel) echo "-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on -append intel_iommu=on" ;;
	# QEMU's AMD-Vi is a PCI function of its own on bus 0, in the first free slot: without
	# the VGA that is 00:01.0, and every other device keeps its slot. It comes before the
	# devices, or their DMA bypasses it.
	# Not in VM_TARGETS yet (vmcheck --platform amd): with QEMU 7.2's AMD-Vi the hub's frames
	# do not move between the e1000e and the e1000 behind the PCIe-to-PCI bridge, in any
	# domain type (issue 23; tests/vm/README.md). AMD-Vi is on by default: iommu=nopt only
	# says the default out loud.
	amd) echo "-machine q35,kernel-irqchip=split -vga none -device amd-iommu,intremap=on -append iommu=nopt" ;;
	*) die "unknown VM platform '${VM_PLATFORM}' (known: intel, amd)" ;;
	esac
}

# run_vm KERNEL INITRD CONSOLE_LOG RESULTS_LOG MODE: boots and waits (bounded). Prints
# nothing; returns QEMU's status (124 when the timeout killed it). VM_APPEND_EXTRA adds
# kernel parameters (the guest reads vm.columns=N, vm.color=1, vm.utf8=1).
# Topology (group numbers as seen on Debian kernels):
#   00:02.0 e1000e alone in its group (single-device, driver bound), on hub 0
#   00:03.0 pcie-pci-bridge + 01:01.0 e1000 (on hub 0) + 01:02.0 e1000: one multi-device group
#   00:1f.*  ICH9 multi-function device (q35 built-in): one group
#   00:1e.0  PCIe expander bridge (pxb-pcie): root bus 0x10 with three pcie-root-ports, each with
#            a QEMU xHCI (no driver in the guest) below: 10:00.0 with ACS (alone; 11:00.0
#            alone), 10:01.0 disable-acs=true (one group with 12:00.0), 10:02.0 with ACS above
#            the two functions 13:00.0/13:00.1 of a multi-function xHCI (one group, without it).
#            Its groups are numbered after the others (its root bus enumerates after bus 0).
#   00:04.0  NVMe disk (64 MiB, blank, LOGDIR/nvme.img, new each boot) alone in its group
run_vm() {
	local kernel=$1 initrd=$2 console_log=$3 results_log=$4 mode=$5 platform
	local disk=${console_log%/*}/nvme.img
	platform=$(vm_platform_args) || return 1
	: >"$results_log"
	# Each boot its own blank disk (sparse): the guest partitions and formats it.
	rm -f "$disk"
	truncate -s 64M "$disk" || return 1
	# shellcheck disable=SC2086 # the platform's options are words on purpose
		timeout --kill-after=10 "$VM_BOOT_TIMEOUT" qemu-system-x86_64 \
		-accel tcg -cpu max -m 1024 -smp "${IOMMUGRP_VM_SMP:-1}" ${IOMMUGRP_VM_QEMU_ARGS:-} \
		${platform% -append *} \
		-display none -monitor none -no-reboot -net none -pidfile "${console_log%/*}/qemu.pid" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 ${platform#* -append } panic=-1 no_timer_check vm.mode=$mode ${VM_APPEND_EXTRA:-}" \
		-serial "file:$console_log" -serial "file:$results_log" \
		-netdev hubport,hubid=0,id=hub0-e1000e \
		-netdev hubport,hubid=0,id=hub0-e1000 \
		-device e1000e,addr=02.0,netdev=hub0-e1000e,romfile= \
		-device pcie-pci-bridge,id=br1,addr=03.0 \
		-device e1000,bus=br1,addr=01.0,netdev=hub0-e1000,romfile= \
		-device e1000,bus=br1,addr=02.0,romfile= \
		-drive file="$disk",if=none,id=nvme-disk,format=raw,cache=unsafe \
		-device nvme,drive=nvme-disk,serial=iommugrp-vm,addr=04.0 \
		-device pxb-pcie,id=pxb1,bus_nr=16,addr=1e.0 \
		-device pcie-root-port,id=rp-acs,bus=pxb1,chassis=16,addr=00.0 \
		-device qemu-xhci,bus=rp-acs \
		-device pcie-root-port,id=rp-noacs,bus=pxb1,chassis=17,addr=01.0,disable-acs=true \
		-device qemu-xhci,bus=rp-noacs \
		-device pcie-root-port,id=rp-mf,bus=pxb1,chassis=18,addr=02.0 \
		-device qemu-xhci,bus=rp-mf,addr=00.0,multifunction=on \
		-device qemu-xhci,bus=rp-mf,addr=00.1 \
		</dev/null
}

# --- kernels by SPEC, boots with results --------------------------------------------------

# bzimage_release FILE: the kernel release a bzImage announces in its setup header, or nothing.
bzimage_release() {
	local offset
	[[ $(dd if="$1" bs=1 skip=$((0x202)) count=4 2>/dev/null | tr -d '\0') == HdrS ]] || return 0
	offset=$(od -An -tu2 -j $((0x20E)) -N2 "$1" | tr -d ' ')
	dd if="$1" bs=1 skip=$((offset + 0x200)) count=128 2>/dev/null | tr '\0' '\n' | head -n 1 | awk '{print $1}'
}

# resolve_kernel SPEC: sets KERNEL_IMAGE, KERNEL_MODDIR (- when all built in), KERNEL_LABEL,
# KERNEL_DESC. SPEC: 6.1, 6.12, or the path of a bzImage built with everything needed built in.
resolve_kernel() {
	local spec=$1 dir release
	case $spec in
	6.1 | 6.12)
		dir=$(fetch_debian_kernel "$spec")
		KERNEL_IMAGE=$(compgen -G "$dir/boot/vmlinuz-*" | head -n 1)
		KERNEL_MODDIR=$(compgen -G "$dir/lib/modules/*" | head -n 1)
		KERNEL_LABEL=debian-$spec
		KERNEL_DESC="$(<"$dir/stamp") ($(basename "$KERNEL_MODDIR"))"
		;;
	*)
		[[ -f $spec ]] || die "kernel '$spec': no such file (want 6.1, 6.12 or a bzImage path)"
		KERNEL_IMAGE=$(readlink -f "$spec")
		KERNEL_MODDIR=-
		release=$(bzimage_release "$KERNEL_IMAGE")
		KERNEL_LABEL=${release:-$(basename "$spec")}
		KERNEL_DESC="$KERNEL_IMAGE${release:+ ($release)}"
		;;
	esac
	[[ -n $KERNEL_IMAGE && -n $KERNEL_MODDIR ]] || die "kernel '$spec': cache is incomplete"
}

# boot_and_stream LOGDIR MODE: builds the initramfs for the resolved kernel, boots it, and
# streams the guest's result lines (not the kernel log) to stdout while it runs.
# LOGDIR gets initrd, console.log (ttyS0), results.log (ttyS1), qemu.log. Returns QEMU's status.
boot_and_stream() {
	local logdir=$1 mode=$2 qemu_pid rc=0
	mkdir -p "$logdir"
	build_initramfs "$logdir/initrd" "$KERNEL_MODDIR"
	: >"$logdir/results.log"
	run_vm "$KERNEL_IMAGE" "$logdir/initrd" "$logdir/console.log" "$logdir/results.log" "$mode" \
		2>"$logdir/qemu.log" &
	qemu_pid=$!
	tail -n +1 -s 0.2 -f --pid="$qemu_pid" "$logdir/results.log" |
		awk '{ sub(/\r$/, "") } /^@@DMESG-BEGIN/ { quiet = 1 } /^@@DMESG-END/ { quiet = 0; next }
			!quiet && !/^@@/ { print; fflush() }'
	wait "$qemu_pid" || rc=$?
	rm -f "$logdir/nvme.img"
	# The file can be complete only now (tail may stop before its last read).
	return "$rc"
}

# claim_logdir LABEL: prints the log directory for LABEL's boot: build/vm/LABEL, or, while
# another run (the checkout is shared) holds that, a fresh build/vm/LABEL.XXXX. The lock lasts
# as long as the calling shell (call it without $(...): the result is in LOGDIR).
claim_logdir() {
	local fd
	LOGDIR=$REPO_DIR/build/vm/$1
	mkdir -p "$LOGDIR"
	exec {fd}>"$LOGDIR/.lock"
	if ! flock -n "$fd"; then
		exec {fd}>&-
		LOGDIR=$(mktemp -d "$REPO_DIR/build/vm/$1.XXXX")
		log "build/vm/$1 is in use by another run: logs go to $LOGDIR"
	fi
}

# stop_vms LOGDIR...: kills the QEMU of each LOGDIR still running (on Ctrl-C or an error:
# background jobs of a script ignore SIGINT, so QEMU would run on until its timeout).
stop_vms() {
	local dir pid
	for dir in "$@"; do
		[[ -f $dir/qemu.pid ]] || continue
		pid=$(<"$dir/qemu.pid")
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == qemu-system-* ]] && kill "$pid" 2>/dev/null
		rm -f "$dir/qemu.pid"
	done
	return 0
}

# explain_boot_failure LOGDIR STATUS: says what went wrong when the guest never finished.
explain_boot_failure() {
	local logdir=$1 rc=$2
	if ((rc == 124 || rc == 137)); then
		echo "QEMU was killed after ${VM_BOOT_TIMEOUT}s (IOMMUGRP_VM_TIMEOUT): the guest hung"
	elif ((rc != 0)); then
		echo "QEMU failed with status $rc"
	elif ! grep -q '^@@VM-START' "$logdir/results.log"; then
		echo "the kernel stopped before running /init (panic or no console?)"
	else
		echo "the guest powered off before finishing its tests"
	fi
	if [[ -s $logdir/qemu.log ]]; then
		echo "--- QEMU stderr ($logdir/qemu.log)"
		grep -v -e 'is not connected to host network' -e 'has no peer' "$logdir/qemu.log" | tail -n 20
	fi
	echo "--- kernel console, last 40 lines ($logdir/console.log)"
	tr -d '\r' <"$logdir/console.log" | tail -n 40
	echo "---"
}

# guest_dmesg LOGDIR: the kernel log the guest printed at its end.
guest_dmesg() {
	tr -d '\r' <"$1/results.log" | sed -n '/^@@DMESG-BEGIN/,/^@@DMESG-END/p' | sed '1d;$d'
}

# guest_splats LOGDIR: the lines of that log where the kernel reported a bug of its own
# (KASAN, lockdep, WARN, BUG, Oops, sleeping in atomic context, a hung task); empty when
# there is none. Any run with one fails, whichever test files ran.
guest_splats() {
	guest_dmesg "$1" | grep -E -e 'BUG:|WARNING:|Oops|general protection fault|Kernel panic' \
		-e 'possible circular locking|possible recursive locking|inconsistent lock state' \
		-e 'lock held when returning|suspicious RCU usage|UBSAN:' \
		-e 'sleeping function called from invalid context|INFO: task .* blocked' | head -n 20 ||
		true
}

# build_iommugrp: runs the project's build; false when it failed or there is no Makefile.
# Sets VM_INCLUDE_IOMMUGRP=0 unless build/iommugrp is up to date with its sources (even a
# failed "make all" may have built it: -k keeps going past unrelated targets).
build_iommugrp() {
	VM_INCLUDE_IOMMUGRP=0
	if [[ ! -f $REPO_DIR/Makefile ]]; then
		log "no Makefile yet: booting without iommugrp"
		return 1
	fi
	log "make -C $REPO_DIR all"
	local rc=0
	make -k -C "$REPO_DIR" all >&2 || rc=$?
	if make -q -C "$REPO_DIR" build/iommugrp 2>/dev/null; then
		VM_INCLUDE_IOMMUGRP=1
	else
		log "build/iommugrp is missing or out of date: booting without it"
	fi
	return "$rc"
}
