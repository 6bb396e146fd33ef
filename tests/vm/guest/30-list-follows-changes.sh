# iommugrp reports what the kernel shows after drivers and types change (changed here with
# plain sysfs writes; every change is undone).
. /tests/guest/lib.sh
have_iommugrp list-follows-changes || exit 1

single=$(group_of "$E1000E_BDF")
multi=$(group_of "$BRIDGE_BDF")
boot_type=$(group_type "$single")

# list_matches_kernel NAME: group and device rows of `list --json` equal the kernel's.
list_matches_kernel() {
	local json
	json=$(iommugrp list --json 2>&1)
	assert_same "$1" "$(kernel_group_rows; kernel_device_rows)" \
		"$(echo "$json" | jq -r "$JQ_GROUP_ROWS" 2>&1; echo "$json" | jq -r "$JQ_DEVICE_ROWS" 2>&1)"
}

if unbind_device "$E1000E_BDF"; then
	list_matches_kernel list-after-unbinding-single-device
	assert_eq list-unbound-group-viable true \
		"$(iommugrp list --json | jq -r --argjson g "$single" '.iommugroups[] | select(.group == $g) | .viable')" \
		"group $single viable"
	if [ "$(sysfs_write "$GROUPS_DIR/$single/type" identity)" = OK ]; then
		list_matches_kernel list-after-type-change
		assert_eq show-after-type-change identity \
			"$(iommugrp show --json "$single" | jq -r .iommugroup.type)" "type shown"
	else
		fail list-after-type-change "the kernel refused identity for unbound group $single"
	fi
	sysfs_write "$GROUPS_DIR/$single/type" "$boot_type" >/dev/null
	bind_device "$E1000E_BDF" e1000e || fail list-rebind-e1000e "e1000e did not bind again"
else
	fail list-after-unbinding-single-device "could not unbind $E1000E_BDF"
fi

# Multi-device group with both NICs unbound: only the bridge is left, the group is viable.
if unbind_device "$E1000_A_BDF" && unbind_device "$E1000_B_BDF"; then
	list_matches_kernel list-after-unbinding-multi-device-group
	assert_eq show-unbound-multi-device-group-viable true \
		"$(iommugrp show --json "$multi" | jq -r .iommugroup.viable)" "group $multi viable"
else
	fail list-after-unbinding-multi-device-group "could not unbind the e1000s"
fi
bind_device "$E1000_A_BDF" e1000
bind_device "$E1000_B_BDF" e1000

list_matches_kernel list-after-restoring-drivers

finish
