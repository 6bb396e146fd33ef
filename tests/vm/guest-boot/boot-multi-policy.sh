# boots-on: debian-6.1 debian-6.12
# boot-configs/boot-multi-policy.conf: policy=identity for the bridge's group of three. Stock 6.1
# (single-device type changes only) must refuse it in the log and harm nothing: the holds
# released, e1000 bound to both, the type as booted. 6.12 applies it before e1000 binds.
. /tests/guest-boot/boot-lib.sh
. /tests/guest/ops-lib.sh
have_iommugrp boot-multi-policy || exit 1

group=$(group_of "$BRIDGE_BDF")
log=$(iommugrp_log)
boot_type=$(group_type "$(group_of "$ICH9_LPC_BDF")") # a group no entry names

for d in "$E1000_A_BDF" "$E1000_B_BDF"; do
	assert_eq "multi-$d-e1000-bound" e1000 "$(driver_of "$d")" "driver of $d"
	assert_eq "multi-$d-bound-once" "bind:e1000" "$(driver_history "$d")" "bind/unbind uevents"
	assert_eq "multi-$d-no-hold-left" "(null)" "$(cat "$PCI_DIR/$d/driver_override")" "driver_override"
done
if [ "$(type_change_rules)" = single-device ]; then
	assert_contains multi-refused-in-log "group $group: refused" "$log"
	assert_contains multi-refusal-says-why "only of single-device groups" "$log"
	assert_eq multi-type-unchanged "$boot_type" "$(group_type "$group")" "group $group type"
else
	assert_contains multi-applied-in-log "group $group: applied" "$log"
	assert_eq multi-type-identity identity "$(group_type "$group")" "group $group type"
fi
assert_eq multi-e1000e-untouched "bind:e1000e" "$(driver_history "$E1000E_BDF")" "bind/unbind uevents"
assert_frames_move multi-frames-move
finish
