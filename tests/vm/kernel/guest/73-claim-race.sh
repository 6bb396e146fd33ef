# Type changes racing with driver binds and unbinds on the same multi-device group: every
# write and bind either succeeds or is refused (EPERM/EINVAL for the write, EBUSY/ENODEV
# for the bind), nothing hangs (the file's timeout), the devices work afterwards. Lockdep
# (CONFIG_PROVE_LOCKING on the iommugrp kernel) checks the lock order; 95-* reads the log.
. /tests/guest/lib.sh
. /tests/guest/kernel-lib.sh

unbind_multi
(
	i=0
	while [ $i -lt 12 ]; do
		for t in identity DMA DMA-FQ auto; do
			sysfs_write "$GROUPS_DIR/$MULTI/type" "$t"
		done
		i=$((i + 1))
	done
) >/tmp/race-writes &
writer=$!
i=0
: >/tmp/race-binds
while [ $i -lt 12 ]; do
	sysfs_write "$SYS/bus/pci/drivers/e1000/bind" "$E1000_B_BDF" >>/tmp/race-binds
	sysfs_write "$SYS/bus/pci/drivers/e1000/unbind" "$E1000_B_BDF" >>/tmp/race-binds
	i=$((i + 1))
done
wait "$writer"
bad=$(grep -v -x -e OK -e EPERM -e EINVAL /tmp/race-writes | sort | uniq -c)
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
