# Shared by guest/55-host-use.sh and guest-boot/boot-host-use.sh: make the host use its NICs
# and its disk the way real hosts do (bridges, bonds, VLANs, device-mapper, ext4, swap), with
# the host's iproute2, dmsetup and mke2fs (tests/vm/lib.sh puts them in /usr/local/sbin).
. /tests/guest/ops-lib.sh
PATH=/usr/local/sbin:$PATH
# busybox's sh runs its own applets before PATH (ip, mke2fs): functions come first.
ip() { /usr/local/sbin/ip "$@"; }
mke2fs() { /usr/local/sbin/mke2fs "$@"; }
# No udevd runs under the suite: dmsetup makes its own /dev/mapper nodes.
export DM_DISABLE_UDEV=1

NVME_BDF=$(pci_devices_by_id 1b36 0010 | head -n 1) # QEMU's NVMe, 00:04.0, alone in its group

# kconfig CONFIG_NAME: y, m or nothing, from /boot/config-RELEASE (Debian's, shipped by
# lib.sh) or /proc/config.gz (the patched kernel's IKCONFIG_PROC).
kconfig() {
	{ cat "/boot/config-$(uname -r)" 2>/dev/null || zcat /proc/config.gz 2>/dev/null; } |
		sed -n "s/^$1=//p"
}

# have_feature CONFIG_NAME MODULE [OPTION...]: 0 when the kernel can do it now (built in, or
# the module loaded here only if it was not yet); 1 when loading it failed and 2 when the
# kernel has no such thing at all, with the reason in $FEATURE_WHY.
have_feature() {
	local config=$1 module=$2 out
	shift 2
	FEATURE_WHY=
	case $(kconfig "$config") in
	y) return 0 ;;
	m)
		[ -d "/sys/module/$module" ] && return 0
		out=$(modprobe "$module" "$@" 2>&1) && return 0
		FEATURE_WHY="modprobe $module failed: $out"
		return 1
		;;
	*)
		if [ -z "$( { cat "/boot/config-$(uname -r)" || zcat /proc/config.gz; } 2>/dev/null | head -n 1)" ]; then
			FEATURE_WHY="neither /boot/config-$(uname -r) nor /proc/config.gz says what the kernel has"
			return 1
		fi
		FEATURE_WHY="$(uname -r) has no $config, neither built in nor as a module"
		return 2
		;;
	esac
}

# need NAME CONFIG_NAME MODULE [OPTION...]: have_feature, reporting: a load that failed is a
# FAIL of NAME; a kernel without it is a "# SKIP NAME: reason" line. True when usable.
need() {
	local name=$1 rc=0
	shift
	have_feature "$@" || rc=$?
	case $rc in
	0) return 0 ;;
	1) fail "$name" "$FEATURE_WHY" ;;
	*) echo "# SKIP $name: $FEATURE_WHY" ;;
	esac
	return 1
}

# nvme_disk: the NVMe namespace's block device name (nvme0n1), empty while there is none.
nvme_disk() { ls /sys/class/block 2>/dev/null | grep -m 1 '^nvme[0-9]*n[0-9]*$'; }

# partition_nvme DISK: a DOS label with p1 = 40 MiB (type 83) from sector 2048 and p2 = the
# rest of the 64 MiB disk (type 82, swap); waits for both device nodes. (busybox printf and dd:
# the partition entries are 16 bytes at offset 446, little-endian LBA start and size.)
partition_nvme() {
	local disk=$1
	dd if=/dev/zero of=/tmp/mbr bs=512 count=1 2>/dev/null
	printf '\000\000\000\000\203\000\000\000\000\010\000\000\000\100\001\000' |
		dd of=/tmp/mbr bs=1 seek=446 conv=notrunc 2>/dev/null
	printf '\000\000\000\000\202\000\000\000\000\110\001\000\000\270\000\000' |
		dd of=/tmp/mbr bs=1 seek=462 conv=notrunc 2>/dev/null
	printf '\125\252' | dd of=/tmp/mbr bs=1 seek=510 conv=notrunc 2>/dev/null
	dd if=/tmp/mbr of="/dev/$disk" bs=512 count=1 conv=fsync 2>/dev/null || return 1
	blockdev --rereadpt "/dev/$disk" || return 1
	wait_until 100 test -b "/dev/${disk}p1" -a -b "/dev/${disk}p2"
}

# host_state: every PCI device's driver_override and driver link and every group's type, in a
# few processes (pci_state forks per device: too slow under KASAN and TCG for a check after
# every command).
host_state() {
	grep -H . "$PCI_DIR"/*/driver_override "$GROUPS_DIR"/*/type
	stat -c %N "$PCI_DIR"/*/driver 2>/dev/null
}

# unchanged_since BEFORE: empty when host_state is BEFORE and no journal is left, else what
# differs.
unchanged_since() {
	local now journals
	now=$(host_state)
	if [ "$now" != "$1" ]; then
		echo "$1" >/tmp/hu-before.$$
		echo "$now" >/tmp/hu-after.$$
		echo "changed: $(diff /tmp/hu-before.$$ /tmp/hu-after.$$ | grep '^[-+][^-+]' | tr '\n' ' ')"
		rm -f /tmp/hu-before.$$ /tmp/hu-after.$$
	fi
	journals=$(ls /run/iommugrp 2>/dev/null | grep '\.journal$')
	[ -z "$journals" ] || echo "journals left: $journals"
}

# refused NAME STATUS ERE ARGS...: iommugrp ARGS exits STATUS (4: refused), its output (left
# in $OUT) matches the extended regex ERE (the chain) and nothing changed (unchanged_since).
refused() {
	local name=$1 expected=$2 ere=$3 before status=0 changed
	shift 3
	before=$(host_state)
	OUT=$(iommugrp "$@" </dev/null 2>&1) || status=$?
	changed=$(unchanged_since "$before")
	if [ "$status" != "$expected" ]; then
		fail "$name" "iommugrp $*: exit $status, expected $expected: $(echo "$OUT" | tail -n 3)"
	elif ! echo "$OUT" | grep -qE -- "$ere"; then
		fail "$name" "iommugrp $*: no /$ere/ in: $(echo "$OUT" | tail -n 3)"
	elif [ -n "$changed" ]; then
		fail "$name" "iommugrp $*: $changed"
	else
		pass "$name"
	fi
}
