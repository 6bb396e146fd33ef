# Helpers for the kernel tests in tests/vm/kernel/guest/[0-9]*.sh (POSIX sh, busybox).
# They run next to the harness's tests: source /tests/guest/lib.sh first, then this file
# (both end up in /tests/guest/ in the guest).
# The tests run on every kernel and pick expectations by type_change_rules (lib.sh):
#   claim-based   6.4+ and the patched 6.1 (release contains "iommugrp"): any group,
#                 EPERM while a kernel driver is bound or a user owns the group
#   single-device stock 5.11..6.3: single-device groups only (EINVAL), EBUSY while bound

RULES=$(type_change_rules)
SINGLE=$(group_of "$E1000E_BDF")
MULTI=$(group_of "$BRIDGE_BDF")
# The boot default, from the kernel log (earlier test files may have left groups changed);
# the e1000e group's current type if the log has wrapped.
if dmesg | grep -q 'Default domain type: Passthrough'; then BOOT_TYPE=identity
elif dmesg | grep -q 'invalidation policy: lazy'; then BOOT_TYPE=DMA-FQ
elif dmesg | grep -q 'invalidation policy: strict'; then BOOT_TYPE=DMA
else BOOT_TYPE=$(group_type "$SINGLE"); fi
# The patched 6.1 (release contains "iommugrp"). dma_owner is an optional extra of the
# series (kernel/optional/), not in the default series nor in the test kernel: where a
# kernel carries it, its values are checked; no other kernel may have the file.
case $(uname -r) in
*iommugrp*) PATCHED=1 ;;
*) PATCHED=0 ;;
esac
HAS_DMA_OWNER=0
[ -e "$GROUPS_DIR/$SINGLE/dma_owner" ] && HAS_DMA_OWNER=1

# expect_dma_owner NAME GROUP VALUE: on a patched kernel with the optional dma_owner
# patch the group's dma_owner reads VALUE (none, kernel, user); on one without it, and
# on every other kernel, the file must not exist.
expect_dma_owner() {
	local f="$GROUPS_DIR/$2/dma_owner"
	if [ "$PATCHED" = 1 ] && [ "$HAS_DMA_OWNER" = 1 ]; then
		if [ -r "$f" ]; then assert_eq "$1" "$3" "$(cat "$f")" "group $2 dma_owner"
		else fail "$1" "no $f, but group $SINGLE has one"; fi
	elif [ -e "$f" ]; then
		fail "$1" "$f exists on a kernel without the optional dma_owner patch"
	else
		pass "$1"
	fi
}

unbind_multi() { unbind_device "$E1000_A_BDF" && unbind_device "$E1000_B_BDF"; }
bind_multi() { bind_device "$E1000_A_BDF" e1000 && bind_device "$E1000_B_BDF" e1000; }

# devices_work_multi NAME: binds e1000 to both devices behind the bridge, checks that both
# get a netdev and that frames move between the e1000 on the hub and the e1000e (DMA in
# both directions through both groups, no DMAR fault); leaves the e1000s unbound.
devices_work_multi() {
	local why=
	if ! bind_multi; then
		why="e1000 did not bind again (A: '$(driver_of "$E1000_A_BDF")', B: '$(driver_of "$E1000_B_BDF")')"
	elif [ -z "$(net_iface_of "$E1000_A_BDF")" ] || [ -z "$(net_iface_of "$E1000_B_BDF")" ]; then
		why="no netdev after binding e1000"
	else
		why=$(frames_move "$E1000_A_BDF" "$E1000E_BDF") && why=
	fi
	unbind_multi || why="${why:+$why; }could not unbind the e1000s again"
	if [ -z "$why" ]; then pass "$1"; else fail "$1" "$why"; fi
}

# devices_work_single NAME: same for the e1000e alone in its group; leaves it unbound.
devices_work_single() {
	local why=
	if ! bind_device "$E1000E_BDF" e1000e; then
		why="e1000e did not bind again"
	else
		bind_device "$E1000_A_BDF" e1000
		why=$(frames_move "$E1000E_BDF" "$E1000_A_BDF") && why=
	fi
	unbind_device "$E1000E_BDF" || why="${why:+$why; }could not unbind the e1000e again"
	if [ -z "$why" ]; then pass "$1"; else fail "$1" "$why"; fi
}

# restore_all: boot type on both groups, default drivers bound (for the next test file).
restore_all() {
	unbind_multi
	unbind_device "$E1000E_BDF"
	[ "$(group_type "$MULTI")" = "$BOOT_TYPE" ] || sysfs_write "$GROUPS_DIR/$MULTI/type" "$BOOT_TYPE" >/dev/null
	[ "$(group_type "$SINGLE")" = "$BOOT_TYPE" ] || sysfs_write "$GROUPS_DIR/$SINGLE/type" "$BOOT_TYPE" >/dev/null
	bind_multi
	bind_device "$E1000E_BDF" e1000e
}

lower() { echo "$1" | tr 'A-Z' 'a-z'; }

# start_clean: undo what an earlier (failed) test file may have left behind: vfio-holder
# running, driver_override set, NICs on vfio-pci or unbound, group types changed. Then
# every NIC is on its default driver and both groups have the boot type.
start_clean() {
	local bdf drv want pid
	for pid in $(pidof vfio-holder); do kill "$pid"; done
	for bdf in "$E1000E_BDF" "$E1000_A_BDF" "$E1000_B_BDF"; do
		[ "$(cat "$PCI_DIR/$bdf/driver_override")" = "(null)" ] ||
			sysfs_write "$PCI_DIR/$bdf/driver_override" "" >/dev/null
		want=e1000
		[ "$bdf" = "$E1000E_BDF" ] && want=e1000e
		drv=$(driver_of "$bdf")
		[ -z "$drv" ] || [ "$drv" = "$want" ] || unbind_device "$bdf"
	done
	restore_all
	echo "# start: rules $RULES, boot type $BOOT_TYPE, groups $SINGLE/$MULTI: $(group_type "$SINGLE")/$(group_type "$MULTI"), drivers '$(driver_of "$E1000E_BDF")' '$(driver_of "$E1000_A_BDF")' '$(driver_of "$E1000_B_BDF")'"
}
