# A bound kernel driver blocks type changes: EPERM on the patched 6.1 and 6.4+ for any
# group as soon as one member is bound (EBUSY/EINVAL on stock 6.1), without the old
# "Device is still bound to driver" log line; DMA -> DMA-FQ still works live.
. /tests/guest/lib.sh
. /tests/guest/kernel-lib.sh
start_clean

if [ "$RULES" = claim-based ]; then
	multi_bound=EPERM single_bound=EPERM
else
	multi_bound=EINVAL single_bound=EBUSY
fi

# -- multi-device group, one member bound at a time, then both
unbind_multi
bind_device "$E1000_A_BDF" e1000
expect_dma_owner claim-bound-dma-owner-kernel-one-member "$MULTI" kernel
dmesg_mark
expect_type_write claim-bound-multi-first-member-bound "$MULTI" identity "$multi_bound" "$BOOT_TYPE"
if [ "$RULES" = claim-based ]; then
	if dmesg_since_mark | grep -q 'Device is still bound to driver'; then
		fail claim-bound-no-log-line "'Device is still bound to driver' logged"
	else
		pass claim-bound-no-log-line
	fi
fi
unbind_device "$E1000_A_BDF"
bind_device "$E1000_B_BDF" e1000
expect_type_write claim-bound-multi-second-member-bound "$MULTI" DMA "$multi_bound" "$BOOT_TYPE"
bind_device "$E1000_A_BDF" e1000
expect_type_write claim-bound-multi-all-bound "$MULTI" identity "$multi_bound" "$BOOT_TYPE"
# Writing the current type is refused too while bound (as 6.4+ does).
expect_type_write claim-bound-multi-same-type "$MULTI" "$BOOT_TYPE" "$multi_bound" "$BOOT_TYPE"

# -- multi-device group: DMA -> DMA-FQ with both drivers bound (flush queue brought up live)
if [ "$RULES" = claim-based ]; then
	unbind_multi
	expect_type_write claim-bound-multi-set-dma "$MULTI" DMA OK DMA
	bind_multi
	expect_type_write claim-bound-multi-live-dma-to-dma-fq "$MULTI" DMA-FQ OK DMA-FQ
	assert_frames_move claim-bound-multi-live-dma-fq-devices-work "$E1000_A_BDF" "$E1000E_BDF"
	# Live DMA-FQ -> DMA is not possible (would need a new domain).
	expect_type_write claim-bound-multi-live-dma-fq-to-dma "$MULTI" DMA EPERM DMA-FQ
fi

# -- single-device group (the e1000e)
bind_device "$E1000E_BDF" e1000e
expect_type_write claim-bound-single-bound "$SINGLE" identity "$single_bound" "$BOOT_TYPE"
if unbind_device "$E1000E_BDF"; then
	expect_dma_owner claim-bound-single-dma-owner-none "$SINGLE" none
	prev=$BOOT_TYPE
	for t in identity DMA DMA-FQ identity auto; do
		want=$t
		[ "$t" = auto ] && want=$BOOT_TYPE
		name=claim-single-$(lower "$prev")-to-$(lower "$t")
		expect_type_write "$name" "$SINGLE" "$t" OK "$want"
		devices_work_single "$name-devices-work"
		prev=$(group_type "$SINGLE")
	done
	expect_type_write claim-single-set-dma "$SINGLE" DMA OK DMA
	bind_device "$E1000E_BDF" e1000e
	expect_type_write claim-single-live-dma-to-dma-fq "$SINGLE" DMA-FQ OK DMA-FQ
	assert_frames_move claim-single-live-dma-fq-devices-work
else
	fail claim-bound-single-unbind "could not unbind $E1000E_BDF"
fi

restore_all
assert_eq claim-bound-restored "$BOOT_TYPE $BOOT_TYPE e1000e e1000 e1000" \
	"$(group_type "$SINGLE") $(group_type "$MULTI") $(driver_of "$E1000E_BDF") $(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" \
	"types drivers"
finish
