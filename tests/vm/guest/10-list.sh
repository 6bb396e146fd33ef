# `iommugrp list` on real sysfs, checked against what the kernel shows.
. /tests/guest/lib.sh
have_iommugrp list || exit 1

if ! json=$(iommugrp list --json 2>&1); then
	fail list-json-runs "iommugrp list --json failed: $json"
	exit 1
fi
if echo "$json" | jq -e '.iommugroups | type == "array"' >/dev/null 2>&1; then
	pass list-json-root-key
else
	fail list-json-root-key "no .iommugroups array in: $(echo "$json" | head -c 300)"
fi

assert_same list-json-groups-match-sysfs "$(kernel_group_rows)" "$(echo "$json" | jq -r "$JQ_GROUP_ROWS")"
assert_same list-json-devices-match-sysfs "$(kernel_device_rows)" "$(echo "$json" | jq -r "$JQ_DEVICE_ROWS")"
assert_same list-json-group-names \
	"$(for g in $(all_groups); do echo "group $g"; done)" "$(echo "$json" | jq -r '.iommugroups[].name')"

# Names come from udev's hwdb, shipped in the guest when the host has one (package udev).
if [ -f /lib/udev/hwdb.bin ]; then
	assert_eq list-json-vendor-from-hwdb "Intel Corporation" \
		"$(echo "$json" | jq -r --arg d "$E1000E_BDF" '.iommugroups[].children[]? | select(.name == $d) | .vendor')" \
		"vendor of $E1000E_BDF"
else
	echo "# no hwdb.bin on the host (install udev): vendor names not checked"
fi

# The command alone lists, as "list" does.
assert_eq list-is-the-default-command "$(iommugrp list 2>&1)" "$(iommugrp 2>&1)" "output of 'iommugrp'"

# Tree output: one "group N" row per group.
assert_same list-tree-group-rows "$(for g in $(all_groups); do echo "group $g"; done)" \
	"$(iommugrp list -n -o NAME | grep -o '^group [0-9]*')"

# Flat raw rows with chosen columns, device rows only (group rows are named "group\x20N").
assert_same list-flat-raw-columns \
	"$(for g in $(all_groups); do for d in $(group_members "$g"); do echo "$d $g $(driver_of "$d")"; done; done | sed 's/ $//')" \
	"$(iommugrp list -l -r -n -o NAME,GROUP,DRIVER | awk '$1 ~ /^[0-9a-f]{4}:/' | sed 's/ *$//')"

# -o restricts the JSON keys to the chosen columns (plus "children" in a tree).
keys=$(iommugrp list --json -o NAME,GROUP,TYPE | jq -r '[.iommugroups[0] | keys[] | select(. != "children")] | join(",")')
assert_eq list-json-output-columns "group,name,type" "$keys" "keys of a group row"

finish
