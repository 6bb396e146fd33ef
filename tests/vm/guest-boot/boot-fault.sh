# boots-on: debian-6.12
# boot-configs/boot-fault.*: the boot pass is stopped mid-way (IOMMUGRP_FAULT, SIGSTOP after
# the journal's first step) and killed there. The boot completes; status reports the
# interrupted change; restore mends it.
. /tests/guest-boot/boot-lib.sh
. /tests/guest/ops-lib.sh
have_iommugrp boot-fault || exit 1

log=$(iommugrp_log)
assert_cmd fault-hook-killed-mid-way test -s /run/vm-boot/killed-hook
assert_contains fault-pass-interrupted-logged "boot pass of this boot was interrupted" "$log"
run_ig fault-status 0 status
assert_contains fault-status-reports "interrupted operation" "$OUT"
run_ig fault-restore 0 restore
no_journal_left fault-restore-leaves-no-journal
run_ig fault-status-after-restore 0 status
case $OUT in
*"interrupted operation"*) fail fault-status-clean-after-restore "status still reports: $(echo "$OUT" | tail -n 3)" ;;
*) pass fault-status-clean-after-restore ;;
esac
# Mended: no device is left half-held (an override without a driver).
for d in "$E1000_A_BDF" "$E1000_B_BDF" "$E1000E_BDF"; do
	ov=$(cat "$PCI_DIR/$d/driver_override")
	drv=$(driver_of "$d")
	if [ "$ov" != "(null)" ] && [ -z "$drv" ]; then
		fail "fault-$d-not-half-held" "override '$ov' and no driver"
	else
		pass "fault-$d-not-half-held"
	fi
done
finish
