# boots-on: debian-6.12
# boot-configs/boot-bad.*: an ambiguous id= (two e1000, no multiple=yes) and a drop-in anyone
# can write. The whole configuration is refused: nothing changes (every NIC on its native
# driver, bound once, no override, types as booted), and the log gives every reason.
. /tests/guest-boot/boot-lib.sh
. /tests/guest/ops-lib.sh
have_iommugrp boot-bad || exit 1

log=$(iommugrp_log)
boot_type=$(group_type "$(group_of "$ICH9_LPC_BDF")")
for d in "$E1000E_BDF" "$E1000_A_BDF" "$E1000_B_BDF"; do
	drv=e1000
	[ "$d" = "$E1000E_BDF" ] && drv=e1000e
	assert_eq "bad-$d-native-driver" "bind:$drv" "$(driver_history "$d")" "bind/unbind uevents"
	assert_eq "bad-$d-no-override" "(null)" "$(cat "$PCI_DIR/$d/driver_override")" "driver_override"
	assert_eq "bad-$d-type-as-booted" "$boot_type" "$(group_type "$(group_of "$d")")" "type"
done
assert_contains bad-log-writable-drop-in "/etc/iommugrp.d/50-writable.conf" "$log"
assert_contains bad-log-ambiguous-id "/etc/iommugrp.conf:2" "$log"
assert_contains bad-log-refused "config refused" "$log"
assert_cmd bad-no-vfio-node sh -c '! ls /dev/vfio/[0-9]* >/dev/null 2>&1'
run_ig bad-check-config-refuses 1 check-config
assert_contains bad-check-config-writable "50-writable.conf" "$OUT"
finish
