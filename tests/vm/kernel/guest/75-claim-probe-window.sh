# A probe, a hot-add and a removal inside a type change: on the patched 6.1 they wait for
# the change to complete (kernel/0004: group->def_domain_lock) and then succeed, so the
# driver ends up bound, not failed with EBUSY as in the first version of the patch. The
# window (where group->mutex is dropped for probe_finalize) is held open by the test-only
# knob of tests/vm/kernel/test-patches/ (iommu.test_type_change_delay_ms), which only the
# test kernel has; elsewhere the test checks that the knob is absent.
. /tests/guest/lib.sh
. /tests/guest/kernel-lib.sh
start_clean

KNOB=$SYS/module/iommu/parameters/test_type_change_delay_ms
WINDOW_MS=3000
if [ "$PATCHED" != 1 ]; then
	if [ -e "$KNOB" ]; then fail claim-window-knob-absent "$KNOB exists on $(uname -r)"
	else pass claim-window-knob-absent; fi
	finish
	exit
fi
if [ ! -w "$KNOB" ]; then
	fail claim-window-knob "no $KNOB on the test kernel (tests/vm/kernel/test-patches not applied?)"
	finish
	exit
fi

uptime_cs() { awk '{ sub(/\./, "", $1); print $1 + 0 }' /proc/uptime; }

# start_change TYPE: writes TYPE to the multi-device group in the background (result in
# /tmp/window-write) and returns once the kernel says the window is open (WINDOW_SEEN: when
# the test saw it, at most a poll interval after it opened).
start_change() {
	rm -f /tmp/window-write
	dmesg_mark
	sysfs_write "$GROUPS_DIR/$MULTI/type" "$1" >/tmp/window-write &
	CHANGER=$!
	wait_until 100 sh -c "dmesg | tail -n +$((DMESG_MARK + 1)) | grep -q 'type change window open'" &&
		WINDOW_SEEN=$(uptime_cs)
}

# end_change NAME TYPE: the change finished OK, the type reads TYPE.
end_change() {
	wait "$CHANGER"
	assert_eq "$1" "OK $2" "$(cat /tmp/window-write) $(group_type "$MULTI")" "write result, type"
}

# waited NAME END: the operation started in the window and ended at END (centiseconds)
# ended only when the window closed: WINDOW_MS after it opened, so at least WINDOW_MS less
# a second of slack (for the poll) after the test saw it open.
waited() {
	local took=$(($2 - WINDOW_SEEN)) min=$((WINDOW_MS / 10 - 100))
	if [ "$took" -ge "$min" ]; then pass "$1"
	else fail "$1" "ended $took cs after the window opened, before it closed ($WINDOW_MS ms): it did not wait"; fi
}

unbind_multi
echo "$WINDOW_MS" >"$KNOB"

# 1. An explicit bind in the window waits and succeeds.
if start_change identity; then
	pass claim-window-open-bind
	got=$(sysfs_write "$SYS/bus/pci/drivers/e1000/bind" "$E1000_A_BDF")
	bind_end=$(uptime_cs)
	assert_eq claim-window-bind-succeeds "OK e1000" "$got $(driver_of "$E1000_A_BDF")" "bind result, driver"
	waited claim-window-bind-waited "$bind_end"
	end_change claim-window-bind-change-done identity
else
	fail claim-window-open-bind "no 'type change window open' in the kernel log"
	wait "$CHANGER"
fi
unbind_multi

# 2. A device hot-added in the window (remove, then rescan) probes after the change and
#    ends up bound.
sysfs_write "$PCI_DIR/$E1000_B_BDF/remove" 1 >/dev/null
if start_change DMA; then
	pass claim-window-open-hotadd
	got=$(sysfs_write "$SYS/bus/pci/rescan" 1)
	wait_until 50 test -e "$PCI_DIR/$E1000_B_BDF/driver"
	assert_eq claim-window-hotadd-bound "OK e1000 $MULTI" \
		"$got $(driver_of "$E1000_B_BDF") $(group_of "$E1000_B_BDF")" "rescan result, driver, group"
	end_change claim-window-hotadd-change-done DMA
else
	fail claim-window-open-hotadd "no 'type change window open' in the kernel log"
	wait "$CHANGER"
	sysfs_write "$SYS/bus/pci/rescan" 1 >/dev/null
fi
unbind_multi

# 3. A member removed in the window is released only after the change.
if start_change identity; then
	pass claim-window-open-remove
	got=$(sysfs_write "$PCI_DIR/$E1000_B_BDF/remove" 1)
	remove_end=$(uptime_cs)
	assert_eq claim-window-remove-succeeds "OK" "$got" "remove result"
	waited claim-window-remove-waited "$remove_end"
	end_change claim-window-remove-change-done identity
else
	fail claim-window-open-remove "no 'type change window open' in the kernel log"
	wait "$CHANGER"
fi
echo 0 >"$KNOB"
[ -e "$PCI_DIR/$E1000_B_BDF" ] || sysfs_write "$SYS/bus/pci/rescan" 1 >/dev/null
wait_until 50 test -e "$PCI_DIR/$E1000_B_BDF/driver"
unbind_multi
assert_eq claim-window-group-whole "3" "$(group_members "$MULTI" | wc -l)" "members of group $MULTI"
devices_work_multi claim-window-devices-work

restore_all
assert_eq claim-window-restored "$BOOT_TYPE e1000 e1000" \
	"$(group_type "$MULTI") $(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" "type drivers"
finish
