# What the kernel does with writes to /sys/kernel/iommu_groups/N/type (no iommugrp):
# the expectations iommugrp's "type-change rules" must match, per kernel generation.
# Every test restores the drivers and types it changed.
. /tests/guest/lib.sh

RULES=$(type_change_rules)
echo "# kernel $(uname -r): type-change rules $RULES"
single=$(group_of "$E1000E_BDF")
multi=$(group_of "$BRIDGE_BDF")
boot_type=$(group_type "$single")
state_before=$(for d in "$PCI_DIR"/*; do echo "${d##*/} $(group_type "$(group_of "${d##*/}")") $(driver_of "${d##*/}")"; done)

# -- single-device group, driver bound
case $RULES in
single-device) expected=EBUSY ;; # 6.1: "iommu: Device is still bound to driver"
claim-based) expected=EPERM ;;   # 6.4+ and the patched 6.1: the driver holds a claim (owner_cnt)
esac
dmesg_mark
expect_type_write type-write-single-device-bound "$single" identity "$expected" "$boot_type"
if [ "$RULES" = single-device ]; then
	if dmesg_since_mark | grep -q 'Device is still bound to driver'; then pass type-write-single-device-bound-logs
	else fail type-write-single-device-bound-logs "no 'Device is still bound to driver' in the kernel log"; fi
fi

expect_type_write type-write-bogus-value "$single" bogus EINVAL "$boot_type"

# -- single-device group, driver unbound: every value is accepted on every kernel
if unbind_device "$E1000E_BDF"; then
	expect_type_write type-write-single-device-unbound-identity "$single" identity OK identity
	expect_type_write type-write-single-device-unbound-dma "$single" DMA OK DMA
	expect_type_write type-write-single-device-unbound-dma-fq "$single" DMA-FQ OK DMA-FQ
	expect_type_write type-write-single-device-unbound-auto "$single" auto OK "$boot_type"
	# Identity (passthrough) with the driver back: DMA must still work.
	sysfs_write "$GROUPS_DIR/$single/type" identity >/dev/null
	bind_device "$E1000E_BDF" e1000e || fail type-write-rebind-e1000e "e1000e did not bind again"
	assert_frames_move dma-works-in-identity-domain
	# DMA -> DMA-FQ is the one change the kernel makes while a driver is bound.
	unbind_device "$E1000E_BDF" && sysfs_write "$GROUPS_DIR/$single/type" DMA >/dev/null
	bind_device "$E1000E_BDF" e1000e
	expect_type_write type-write-single-device-bound-dma-to-dma-fq "$single" DMA-FQ OK DMA-FQ
	unbind_device "$E1000E_BDF" && sysfs_write "$GROUPS_DIR/$single/type" "$boot_type" >/dev/null
	bind_device "$E1000E_BDF" e1000e
else
	fail type-write-single-device-unbound "could not unbind $E1000E_BDF from $(driver_of "$E1000E_BDF")"
fi

# -- multi-device group (bridge + two e1000), drivers bound
case $RULES in
single-device) expected=EINVAL ;; # "Group has more than one device"
claim-based) expected=EPERM ;;
esac
dmesg_mark
expect_type_write type-write-multi-device-bound "$multi" identity "$expected" "$boot_type"
if [ "$RULES" = single-device ]; then
	if dmesg_since_mark | grep -q 'Group has more than one device'; then pass type-write-multi-device-logs
	else fail type-write-multi-device-logs "no 'Group has more than one device' in the kernel log"; fi
fi

# -- multi-device group, all drivers unbound
case $RULES in
single-device) expected=EINVAL readback=$boot_type ;; # impossible before 6.4
claim-based) expected=OK readback=identity ;;
esac
if unbind_device "$E1000_A_BDF" && unbind_device "$E1000_B_BDF"; then
	expect_type_write type-write-multi-device-unbound "$multi" identity "$expected" "$readback"
	if [ "$RULES" = claim-based ]; then
		bind_device "$E1000_A_BDF" e1000 && bind_device "$E1000_B_BDF" e1000
		assert_frames_move dma-works-with-multi-device-group-in-identity
		unbind_device "$E1000_A_BDF" && unbind_device "$E1000_B_BDF"
		expect_type_write type-write-multi-device-unbound-restore "$multi" "$boot_type" OK "$boot_type"
	fi
else
	fail type-write-multi-device-unbound "could not unbind the e1000s behind the bridge"
fi
bind_device "$E1000_A_BDF" e1000
bind_device "$E1000_B_BDF" e1000

state_after=$(for d in "$PCI_DIR"/*; do echo "${d##*/} $(group_type "$(group_of "${d##*/}")") $(driver_of "${d##*/}")"; done)
assert_eq type-writes-leave-state-as-found "$(echo $state_before)" "$(echo $state_after)" "device type driver"
assert_frames_move dma-works-after-type-writes

finish
