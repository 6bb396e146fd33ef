# A type change written while a member of the group is being released (hot-unplug): the
# write must wait until the device has left the group, then succeed. This is the race the
# prerequisite backports (kernel/0002, 0003: dba9ca9d41f5) close: without them VT-d's
# release_device() frees the device's driver data while the device is still listed in the
# group, and the type change attaches the new domain to it (a NULL dereference). The
# test-only knob iommu.test_release_delay_ms (tests/vm/kernel/test-patches/) holds the
# release open; only the test kernel has it, elsewhere the test checks that it is absent.
. /tests/guest/lib.sh
. /tests/guest/kernel-lib.sh
start_clean

KNOB=$SYS/module/iommu/parameters/test_release_delay_ms
if [ "$PATCHED" != 1 ]; then
	if [ -e "$KNOB" ]; then fail claim-release-knob-absent "$KNOB exists on $(uname -r)"
	else pass claim-release-knob-absent; fi
	finish
	exit
fi
if [ ! -w "$KNOB" ]; then
	fail claim-release-knob "no $KNOB on the test kernel (tests/vm/kernel/test-patches not applied?)"
	finish
	exit
fi

uptime_cs() { awk '{ sub(/\./, "", $1); print $1 + 0 }' /proc/uptime; }

unbind_multi
echo 2000 >"$KNOB"
dmesg_mark
sysfs_write "$PCI_DIR/$E1000_B_BDF/remove" 1 >/tmp/release-remove &
remover=$!
if wait_until 100 sh -c "dmesg | tail -n +$((DMESG_MARK + 1)) | grep -q 'test: $E1000_B_BDF: released'"; then
	pass claim-release-in-progress
	start=$(uptime_cs)
	expect_type_write claim-release-type-write-ok "$MULTI" identity OK identity
	# Seen at most a poll interval after the release began: the write had >= 1.5 s to wait.
	took=$(($(uptime_cs) - start))
	if [ "$took" -ge 100 ]; then pass claim-release-type-write-waited
	else fail claim-release-type-write-waited "the write took $took cs: it did not wait for the release"; fi
	wait "$remover"
	assert_eq claim-release-removed "OK 2" \
		"$(cat /tmp/release-remove) $(group_members "$MULTI" | wc -l)" "remove result, members left"
else
	fail claim-release-in-progress "no 'test: $E1000_B_BDF: released' in the kernel log"
	wait "$remover"
fi
echo 0 >"$KNOB"
[ -e "$PCI_DIR/$E1000_B_BDF" ] || sysfs_write "$SYS/bus/pci/rescan" 1 >/dev/null
wait_until 50 test -e "$PCI_DIR/$E1000_B_BDF/driver"
assert_eq claim-release-readded "e1000 $MULTI" "$(driver_of "$E1000_B_BDF") $(group_of "$E1000_B_BDF")" "driver, group"
unbind_multi
devices_work_multi claim-release-devices-work

restore_all
assert_eq claim-release-restored "$BOOT_TYPE e1000 e1000" \
	"$(group_type "$MULTI") $(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" "type drivers"
finish
