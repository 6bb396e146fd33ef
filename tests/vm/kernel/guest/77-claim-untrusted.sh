# An untrusted device (pci_dev->untrusted: behind an external-facing port) must be in a
# strict DMA domain: on the patched 6.1 (kernel/0005) a group holding one refuses identity
# and DMA-FQ with EINVAL, whatever its other devices require, and accepts DMA; auto gives
# DMA. QEMU's q35 has no external-facing port: the test kernel's knob
# iommu.test_untrusted (tests/vm/kernel/test-patches/) sets the flag on one e1000 behind
# the bridge, as the PCI core would below such a port. Elsewhere the test checks that the
# knob is absent.
. /tests/guest/lib.sh
. /tests/guest/kernel-lib.sh
start_clean

KNOB=$SYS/module/iommu/parameters/test_untrusted
if [ "$PATCHED" != 1 ]; then
	if [ -e "$KNOB" ]; then fail claim-untrusted-knob-absent "$KNOB exists on $(uname -r)"
	else pass claim-untrusted-knob-absent; fi
	finish
	exit
fi
if [ ! -e "$KNOB" ]; then
	fail claim-untrusted-knob "no $KNOB on the test kernel (tests/vm/kernel/test-patches not applied?)"
	finish
	exit
fi

unbind_multi
# From a known translated type, so that the DMA -> DMA-FQ shortcut is the one refused.
expect_type_write claim-untrusted-start-dma "$MULTI" DMA OK DMA
dmesg_mark
got=$(sysfs_write "$KNOB" "$E1000_A_BDF")
assert_eq claim-untrusted-marked OK "$got" "writing $E1000_A_BDF to $KNOB"
expect_type_write claim-untrusted-identity-refused "$MULTI" identity EINVAL DMA
expect_type_write claim-untrusted-dma-fq-refused "$MULTI" DMA-FQ EINVAL DMA
if dmesg | tail -n +$((DMESG_MARK + 1)) | grep -q "cannot be in"; then
	pass claim-untrusted-logged
else
	fail claim-untrusted-logged "no 'Device cannot be in ... domain' in the kernel log"
fi
expect_type_write claim-untrusted-dma-same "$MULTI" DMA OK DMA
expect_type_write claim-untrusted-auto-dma "$MULTI" auto OK DMA
# No traffic while marked: an untrusted device's DMA is bounced through swiotlb, which the
# test kernel's config does not size for it (e1000: "TX DMA map failed").

# Trusted again: every type works as before.
got=$(sysfs_write "$KNOB" "-$E1000_A_BDF")
assert_eq claim-untrusted-cleared OK "$got" "writing -$E1000_A_BDF to $KNOB"
expect_type_write claim-untrusted-cleared-identity "$MULTI" identity OK identity
expect_type_write claim-untrusted-cleared-dma-fq "$MULTI" DMA-FQ OK DMA-FQ
devices_work_multi claim-untrusted-devices-work

restore_all
assert_eq claim-untrusted-restored "$BOOT_TYPE e1000 e1000" \
	"$(group_type "$MULTI") $(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" "type drivers"
finish
