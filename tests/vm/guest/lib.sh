# Guest-side test library (POSIX sh, busybox). Source it from each test file:
#   . /tests/guest/lib.sh
# Test files print one line per test: "PASS name" or "FAIL name: reason"; the host counts them.
# Test names: lower-case words joined by "-", no colon.
# Plain sh as busybox ash runs it (`local` is the only extension used, to keep helpers from
# clobbering the callers' variables).

SYS=/sys
GROUPS_DIR=$SYS/kernel/iommu_groups
PCI_DIR=$SYS/bus/pci/devices

# ---- results -----------------------------------------------------------------------
FAILED=0
pass() { echo "PASS $1"; }
fail() {
	local name=$1
	shift
	echo "FAIL $name: $*"
	FAILED=$((FAILED + 1))
}
# Exit status of a test file: non-zero when any test in it failed.
finish() { [ "$FAILED" -eq 0 ]; }

# assert_eq NAME EXPECTED ACTUAL [WHAT]
assert_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "${4:-value}: expected '$2', got '$3'"; fi
}
# assert_cmd NAME CMD...: passes when CMD exits 0; on failure shows its output.
assert_cmd() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "'$*' failed: $(echo "$out" | tail -n 5)"; fi
}

# wait_until TENTHS CMD...: polls CMD every 0.1 s until it succeeds; fails after TENTHS tries.
wait_until() {
	local tries=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		usleep 100000
	done
}

# ---- kernel generation ------------------------------------------------------------------
# type_change_rules: "single-device" (5.11 to 6.3: single-device groups only, EBUSY while a
# driver is bound) or "claim-based" (6.4+: any group, EPERM while a driver or user claims
# it). The project's patched 6.1 (release contains "iommugrp") behaves like 6.4+.
type_change_rules() {
	local release major minor
	release=$(uname -r)
	case $release in *iommugrp*) echo claim-based; return ;; esac
	major=${release%%.*}
	minor=${release#*.}
	minor=${minor%%[!0-9]*}
	if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 4 ]; }; then
		echo claim-based
	else
		echo single-device
	fi
}

# ---- sysfs facts, read with busybox only --------------------------------------------
# pci_devices_by_id VENDOR DEVICE (hex without 0x): BDFs, sorted.
pci_devices_by_id() {
	local d
	for d in "$PCI_DIR"/*; do
		[ "$(cat "$d/vendor")" = "0x$1" ] && [ "$(cat "$d/device")" = "0x$2" ] && echo "${d##*/}"
	done
}
group_of() { basename "$(readlink "$PCI_DIR/$1/iommu_group")"; }
# driver_of BDF: the bound driver's name, empty when unbound.
driver_of() { [ -e "$PCI_DIR/$1/driver" ] && basename "$(readlink "$PCI_DIR/$1/driver")"; true; }
group_type() { cat "$GROUPS_DIR/$1/type"; }
group_members() { ls "$GROUPS_DIR/$1/devices"; }
all_groups() { ls "$GROUPS_DIR" | sort -n; }
net_iface_of() { ls "$PCI_DIR/$1/net" 2>/dev/null | head -n 1; }

# The VM's topology (see run_vm in tests/vm/lib.sh), found by vendor:device.
E1000E_BDF=$(pci_devices_by_id 8086 10d3 | head -n 1)    # single-device group, on hub 0
BRIDGE_BDF=$(pci_devices_by_id 1b36 000e | head -n 1)    # pcie-pci-bridge
E1000_A_BDF=$(pci_devices_by_id 8086 100e | sed -n 1p)   # behind the bridge, on hub 0
E1000_B_BDF=$(pci_devices_by_id 8086 100e | sed -n 2p)   # behind the bridge, not on a hub
ICH9_LPC_BDF=$(pci_devices_by_id 8086 2918 | head -n 1)  # ICH9 multi-function device

# ---- sysfs writes -----------------------------------------------------------------------
# sysfs_write FILE VALUE: writes VALUE and a newline in one write(); prints OK or the errno
# name (EPERM, EBUSY, EINVAL, ...), which is what the tests compare.
sysfs_write() {
	local err
	# echo, not printf: ash's printf builtin does not report write errors.
	if err=$( { echo "$2" >"$1"; } 2>&1); then
		echo OK
		return
	fi
	case $err in
	*"Operation not permitted"*) echo EPERM ;;
	*"Device or resource busy"*) echo EBUSY ;;
	*"Invalid argument"*) echo EINVAL ;;
	*"No such device"*) echo ENODEV ;;
	*"Permission denied"*) echo EACCES ;;
	*"No such file"*) echo ENOENT ;;
	*) echo "ERROR($err)" ;;
	esac
}

# expect_type_write NAME GROUP VALUE EXPECTED [READBACK]: writes VALUE to the group's type,
# expects result EXPECTED (OK or an errno name) and, if given, the file to read READBACK.
expect_type_write() {
	local got
	got=$(sysfs_write "$GROUPS_DIR/$2/type" "$3")
	if [ "$got" != "$4" ]; then
		fail "$1" "writing '$3' to group $2 type: expected $4, got $got"
	elif [ -n "${5:-}" ] && [ "$(group_type "$2")" != "$5" ]; then
		fail "$1" "after writing '$3' group $2 type reads '$(group_type "$2")', expected '$5'"
	else
		pass "$1"
	fi
}

# unbind_device BDF: unbinds its driver (if any) and waits for the driver link to go.
unbind_device() {
	local drv
	drv=$(driver_of "$1")
	[ -n "$drv" ] || return 0
	[ "$(sysfs_write "$SYS/bus/pci/drivers/$drv/unbind" "$1")" = OK ] || return 1
	wait_until 50 sh -c "! [ -e '$PCI_DIR/$1/driver' ]"
}

# bind_device BDF DRIVER: binds and waits for the driver link to name DRIVER.
bind_device() {
	[ "$(driver_of "$1")" = "$2" ] && return 0
	sysfs_write "$SYS/bus/pci/drivers/$2/bind" "$1" >/dev/null
	wait_until 50 sh -c "[ \"\$(basename \"\$(readlink '$PCI_DIR/$1/driver')\")\" = '$2' ]"
}

# ---- kernel log ---------------------------------------------------------------------------
# dmesg_mark: remembers how long the kernel log is; *_since_mark look only at newer lines.
dmesg_mark() { DMESG_MARK=$(dmesg | wc -l); }
dmesg_since_mark() { dmesg | tail -n +$((${DMESG_MARK:-0} + 1)); }
# An IOMMU fault the DMA remapping driver logged (DMA or interrupt remapping).
dmar_faults_since_mark() { dmesg_since_mark | grep -iE 'DMAR.*(fault|DMA (Read|Write))|INTR-REMAP'; }

# ---- DMA still works: frames move between NICs on QEMU's hub 0 -------------------------
# frames_move FROM_BDF TO_BDF: ARP request from FROM's NIC, answered through TO's NIC (both
# DMA directions on both devices), counted by the receive counters, and no DMAR fault
# logged meanwhile. Addresses are TEST-NET-1 on /32s; QEMU's hub reaches nothing outside.
# Prints why on failure; leaves both links down and without addresses.
frames_move() {
	local out rx_to rx_from rx_to_after rx_from_after to_mac faults
	# from/to stay global for frames_cleanup.
	from=$(net_iface_of "$1")
	to=$(net_iface_of "$2")
	[ -n "$from" ] || { echo "$1 has no network interface (driver: '$(driver_of "$1")')"; return 1; }
	[ -n "$to" ] || { echo "$2 has no network interface (driver: '$(driver_of "$2")')"; return 1; }
	dmesg_mark
	ip link set "$from" up && ip link set "$to" up || { echo "ip link set up failed"; return 1; }
	# Link autonegotiation on the emulated NICs takes a second or two.
	if ! wait_until 100 sh -c "[ \"\$(cat $SYS/class/net/$from/carrier)\$(cat $SYS/class/net/$to/carrier)\" = 11 ]"; then
		frames_cleanup
		echo "no carrier on $from/$to within 10 s"
		return 1
	fi
	# Both addresses are local to this kernel: accept such sources on the wire.
	sysctl -qw net.ipv4.conf.all.accept_local=1
	ip addr add 192.0.2.1/32 dev "$from"
	ip addr add 192.0.2.2/32 dev "$to"
	rx_to=$(cat "$SYS/class/net/$to/statistics/rx_packets")
	rx_from=$(cat "$SYS/class/net/$from/statistics/rx_packets")
	to_mac=$(cat "$SYS/class/net/$to/address")
	out=$(arping -f -c 3 -w 3 -I "$from" -s 192.0.2.1 192.0.2.2 2>&1)
	rx_to_after=$(cat "$SYS/class/net/$to/statistics/rx_packets")
	rx_from_after=$(cat "$SYS/class/net/$from/statistics/rx_packets")
	frames_cleanup
	faults=$(dmar_faults_since_mark)
	if [ -n "$faults" ]; then
		echo "DMAR fault logged: $(echo "$faults" | head -n 3)"
		return 1
	fi
	if ! echo "$out" | grep -qi "reply from 192.0.2.2 \[$to_mac\]"; then
		echo "no ARP reply from $to ($to_mac): $(echo "$out" | tr '\n' ' ')"
		return 1
	fi
	if [ "$rx_to_after" -le "$rx_to" ] || [ "$rx_from_after" -le "$rx_from" ]; then
		echo "receive counters did not move: $to $rx_to->$rx_to_after, $from $rx_from->$rx_from_after"
		return 1
	fi
}
frames_cleanup() {
	ip addr flush dev "$from" 2>/dev/null
	ip addr flush dev "$to" 2>/dev/null
	ip link set "$from" down 2>/dev/null
	ip link set "$to" down 2>/dev/null
}

# assert_frames_move NAME [FROM_BDF TO_BDF]: default: the e1000e (single-device group) and
# the e1000 on hub 0 (multi-device group), so both groups' DMA is exercised.
assert_frames_move() {
	local why
	if why=$(frames_move "${2:-$E1000E_BDF}" "${3:-$E1000_A_BDF}"); then pass "$1"; else fail "$1" "$why"; fi
}

# ---- iommugrp ---------------------------------------------------------------------------
# have_iommugrp NAME: true when the binary is in the guest; else one FAIL line for NAME
# (a missing build is a failure, never a silent skip).
have_iommugrp() {
	command -v iommugrp >/dev/null && return 0
	fail "$1" "iommugrp is not in the guest: build/iommugrp was missing when the initramfs was made"
	return 1
}

# assert_same NAME EXPECTED ACTUAL: multi-line comparison; a failure shows the diff.
assert_same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		echo "$2" >/tmp/expected.$$
		echo "$3" >/tmp/actual.$$
		fail "$1" "output differs from the kernel's view (- kernel, + iommugrp):
$(diff -U0 /tmp/expected.$$ /tmp/actual.$$ | grep '^[-+][^-+]' | head -n 20)"
		rm -f /tmp/expected.$$ /tmp/actual.$$
	fi
}

# ---- the kernel's view as iommugrp should report it (busybox only) --------------------
# device_viable BDF: "true" when the device does not keep VFIO from using its group:
# unbound, or bound to a driver that manages DMA itself (5.19+: driver_managed_dma).
device_viable() {
	case $(driver_of "$1") in
	"" | vfio-pci | pci-stub | pcieport) echo true ;;
	*) echo false ;;
	esac
}
group_viable() {
	local d
	for d in $(group_members "$1"); do
		[ "$(device_viable "$d")" = true ] || { echo false; return; }
	done
	echo true
}
# kernel_group_rows: "GROUP TYPE DEVICES VIABLE PATH", one line per group.
kernel_group_rows() {
	local g
	for g in $(all_groups); do
		echo "$g $(group_type "$g") $(group_members "$g" | wc -l) $(group_viable "$g") $GROUPS_DIR/$g"
	done
}
# kernel_device_rows: "NAME GROUP DRIVER ID SUBSYSTEM CLASSID VIABLE OVERRIDE PATH" per device.
kernel_device_rows() {
	local g d p override
	for g in $(all_groups); do
		for d in $(group_members "$g"); do
			p=$PCI_DIR/$d
			override=$(cat "$p/driver_override" 2>/dev/null)
			[ "$override" = "(null)" ] && override=
			echo "$d $g $(driver_of "$d") $(sed 's/^0x//' "$p/vendor"):$(sed 's/^0x//' "$p/device")" \
				"$(basename "$(readlink "$p/subsystem")") $(cat "$p/class") $(device_viable "$d")" \
				"$override $(readlink -f "$p")"
		done
	done
}
# The same rows from `iommugrp list --json` (on stdin); JSON null reads as empty.
JQ_GROUP_ROWS='.iommugroups[] | [.group, .type, .devices, .viable, .path] | map(if . == null then "" else tostring end) | join(" ")'
JQ_DEVICE_ROWS='.iommugroups[] | .children[]? | [.name, .group, .driver, .id, .subsystem, .classid, .viable, .override, .path] | map(if . == null then "" else tostring end) | join(" ")'
