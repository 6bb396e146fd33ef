# Type changes racing with driver binds and unbinds on the same multi-device group: every
# write and bind either succeeds or is refused (EPERM/EINVAL for the write, on the patched
# 6.1 also EBUSY while a member's driver is mid-probe or mid-unbind; EBUSY/ENODEV for the
# bind), nothing hangs (the file's timeout), the devices work afterwards. Lockdep
# (CONFIG_PROVE_LOCKING on the iommugrp kernel) checks the lock order; 95-* reads the log.
. /tests/guest/lib.sh
. /tests/guest/kernel-lib.sh
start_clean

unbind_multi
rm -f /tmp/race-stop
(
	# Write until the binder is done (bounded by the file's timeout).
	while [ ! -e /tmp/race-stop ]; do
		for t in identity DMA DMA-FQ auto; do
			sysfs_write "$GROUPS_DIR/$MULTI/type" "$t"
		done
	done
) >/tmp/race-writes &
writer=$!
: >/tmp/race-binds
i=0
while [ $i -lt 15 ]; do
	# Varying gaps, so that writes land while bound, unbound and mid-probe.
	sysfs_write "$SYS/bus/pci/drivers/e1000/bind" "$E1000_B_BDF" >>/tmp/race-binds
	usleep $(( (i % 4) * 20000 ))
	sysfs_write "$SYS/bus/pci/drivers/e1000/unbind" "$E1000_B_BDF" >>/tmp/race-binds
	usleep $(( (i % 3) * 30000 + 10000 ))
	i=$((i + 1))
done
touch /tmp/race-stop
wait "$writer"
# The patched 6.1 refuses a write with EBUSY while a member is mid-probe, mid-bind or
# mid-unbind (kernel/0005: it tries every member's device lock).
busy=EINVAL
[ "$PATCHED" = 1 ] && busy=EBUSY
bad=$(grep -v -x -e OK -e EPERM -e EINVAL -e "$busy" /tmp/race-writes | sort | uniq -c)
assert_eq claim-race-type-writes "" "$bad" "unexpected results of type writes"
bad=$(grep -v -x -e OK -e EBUSY -e ENODEV /tmp/race-binds | sort | uniq -c)
assert_eq claim-race-binds "" "$bad" "unexpected results of bind/unbind"
echo "# type writes: $(sort /tmp/race-writes | uniq -c | tr '\n' ' '); binds/unbinds: $(sort /tmp/race-binds | uniq -c | tr '\n' ' ')"

unbind_multi
sysfs_write "$GROUPS_DIR/$MULTI/type" "$BOOT_TYPE" >/dev/null
devices_work_multi claim-race-devices-work
restore_all
assert_eq claim-race-restored "$BOOT_TYPE e1000 e1000" \
	"$(group_type "$MULTI") $(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" "type drivers"
finish
