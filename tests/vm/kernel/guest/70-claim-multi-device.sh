# Patched 6.1 (and 6.4+): a multi-device group (PCIe-to-PCI bridge + two e1000) changes
# its default domain type in every direction once its drivers are unbound, and the
# devices work (bind, netdev, frames without DMAR faults) after every change.
# Stock 6.1: every such write fails with EINVAL.
. /tests/guest/lib.sh
. /tests/guest/kernel-lib.sh
start_clean

echo "# kernel $(uname -r): group $MULTI = $(echo $(group_members "$MULTI"))"

expect_dma_owner claim-multi-dma-owner-kernel-when-bound "$MULTI" kernel
if ! unbind_multi; then
	fail claim-multi-unbind "could not unbind the e1000s behind the bridge"
	restore_all
	finish
	exit
fi
expect_dma_owner claim-multi-dma-owner-none-when-unbound "$MULTI" none

if [ "$RULES" = claim-based ]; then
	# Every ordered pair of identity, DMA, DMA-FQ, plus auto from identity and from DMA.
	prev=$BOOT_TYPE
	for t in identity DMA identity DMA-FQ DMA DMA-FQ identity auto DMA auto auto; do
		want=$t
		[ "$t" = auto ] && want=$BOOT_TYPE
		name=claim-multi-$(lower "$prev")-to-$(lower "$t")
		expect_type_write "$name" "$MULTI" "$t" OK "$want"
		devices_work_multi "$name-devices-work"
		prev=$(group_type "$MULTI")
	done
else
	expect_type_write claim-multi-unbound-refused-einval "$MULTI" identity EINVAL "$BOOT_TYPE"
fi

restore_all
assert_eq claim-multi-restored "$BOOT_TYPE e1000 e1000" \
	"$(group_type "$MULTI") $(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" "type drivers"
finish
