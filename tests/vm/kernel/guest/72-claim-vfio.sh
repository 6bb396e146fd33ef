# A VFIO user holding the multi-device group (vfio-holder: VFIO_GROUP_SET_CONTAINER, as a
# VMM does) blocks type changes: EPERM on the patched 6.1 and 6.4+. Once the holder is
# gone, members bound to vfio-pci (driver_managed_dma) no longer block them.
# Needs /usr/bin/vfio-holder (tests/vm/kernel/vfio-holder.c, static).
. /tests/guest/lib.sh
. /tests/guest/kernel-lib.sh
start_clean

if ! command -v vfio-holder >/dev/null; then
	fail claim-vfio-holder-present "vfio-holder is not in the guest (build it from tests/vm/kernel/vfio-holder.c)"
	finish
	exit
fi
if [ "$RULES" = claim-based ]; then held=EPERM unheld=OK; else held=EINVAL unheld=EINVAL; fi
# Debian kernels ship vfio as modules the guest does not load at boot.
if [ ! -d "$SYS/bus/pci/drivers/vfio-pci" ]; then
	modprobe vfio_iommu_type1 2>/dev/null
	modprobe vfio_pci || echo "# modprobe vfio_pci failed"
fi

to_vfio() {
	sysfs_write "$PCI_DIR/$1/driver_override" vfio-pci >/dev/null &&
		unbind_device "$1" &&
		sysfs_write "$SYS/bus/pci/drivers_probe" "$1" >/dev/null &&
		[ "$(driver_of "$1")" = vfio-pci ]
}
from_vfio() {
	sysfs_write "$PCI_DIR/$1/driver_override" "" >/dev/null
	unbind_device "$1"
	sysfs_write "$SYS/bus/pci/drivers_probe" "$1" >/dev/null
}

if to_vfio "$E1000_A_BDF" && to_vfio "$E1000_B_BDF" && wait_until 50 test -e "/dev/vfio/$MULTI"; then
	pass claim-vfio-handoff
	expect_dma_owner claim-vfio-dma-owner-none-vfio-pci-bound "$MULTI" none
	vfio-holder "$MULTI" </dev/null >/tmp/holder.out 2>&1 &
	holder=$!
	if wait_until 100 grep -q '^held' /tmp/holder.out; then
		pass claim-vfio-holder-holds
		expect_dma_owner claim-vfio-dma-owner-user "$MULTI" user
		expect_type_write claim-vfio-held-identity "$MULTI" identity "$held" "$BOOT_TYPE"
		expect_type_write claim-vfio-held-dma "$MULTI" DMA "$held" "$BOOT_TYPE"
		expect_type_write claim-vfio-held-auto "$MULTI" auto "$held" "$BOOT_TYPE"
	else
		fail claim-vfio-holder-holds "vfio-holder: $(cat /tmp/holder.out)"
	fi
	kill "$holder" 2>/dev/null
	wait "$holder"
	assert_eq claim-vfio-holder-released 0 $? "vfio-holder exit status"
	expect_dma_owner claim-vfio-dma-owner-none-after-release "$MULTI" none
	if [ "$RULES" = claim-based ]; then
		expect_type_write claim-vfio-unheld-identity "$MULTI" identity OK identity
		expect_type_write claim-vfio-unheld-auto "$MULTI" auto OK "$BOOT_TYPE"
	else
		expect_type_write claim-vfio-unheld-identity "$MULTI" identity "$unheld" "$BOOT_TYPE"
	fi
else
	fail claim-vfio-handoff "could not hand the e1000s to vfio-pci (A: '$(driver_of "$E1000_A_BDF")', B: '$(driver_of "$E1000_B_BDF")')"
fi
from_vfio "$E1000_A_BDF"
from_vfio "$E1000_B_BDF"
restore_all
assert_eq claim-vfio-restored "$BOOT_TYPE e1000 e1000" \
	"$(group_type "$MULTI") $(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" "type drivers"
finish
