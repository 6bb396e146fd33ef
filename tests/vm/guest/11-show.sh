# `iommugrp show TARGET` on real sysfs, for each kind of group, checked against the kernel.
. /tests/guest/lib.sh
have_iommugrp show || exit 1

# show_matches_kernel NAME TARGET GROUP: the JSON of `show TARGET` describes GROUP as sysfs does.
show_matches_kernel() {
	local json expected actual d
	if ! json=$(iommugrp show --json "$2" 2>&1); then
		fail "$1" "iommugrp show --json $2 failed: $json"
		return
	fi
	expected="group $3 type $(group_type "$3") viable $(group_viable "$3")"
	for d in $(group_members "$3"); do
		expected="$expected
$d driver=$(driver_of "$d") viable=$(device_viable "$d")"
	done
	expected="$expected
$(cat "$GROUPS_DIR/$3/reserved_regions")"
	actual=$(echo "$json" | jq -r '.iommugroup |
		"group \(.group) type \(.type) viable \(.viable)",
		(.devices[] | "\(.name) driver=\(.driver // "") viable=\(.viable)"),
		(.reserved_regions[] | "\(.start) \(.end) \(.type)")')
	assert_same "$1" "$expected" "$actual"
}

single=$(group_of "$E1000E_BDF")
multi=$(group_of "$BRIDGE_BDF")
ich9=$(group_of "$ICH9_LPC_BDF")
show_matches_kernel show-single-device-group-by-number "$single" "$single"
show_matches_kernel show-multi-device-group-by-number "$multi" "$multi"
show_matches_kernel show-multi-function-group-by-number "$ich9" "$ich9"
# A device names its group, in each accepted spelling.
show_matches_kernel show-by-full-pci-address "$E1000_A_BDF" "$multi"
show_matches_kernel show-by-short-pci-address "${E1000_A_BDF#0000:}" "$multi"
show_matches_kernel show-by-sysfs-path "$PCI_DIR/$E1000E_BDF" "$single"

# Text output names the group's type and every member.
out=$(iommugrp show "$multi" 2>&1)
missing=
for d in $(group_members "$multi"); do echo "$out" | grep -q "$d" || missing="$missing $d"; done
echo "$out" | grep -q "type: *$(group_type "$multi")\$" || missing="$missing type"
if [ -z "$missing" ]; then pass show-text-output; else fail show-text-output "missing:$missing in: $out"; fi

# A group that does not exist: exit status 3 (documented "no such group or device").
iommugrp show 999 >/dev/null 2>&1
assert_eq show-unknown-group-exit-status 3 "$?" "exit status"
iommugrp show 0000:7f:1f.7 >/dev/null 2>&1
assert_eq show-unknown-device-exit-status 3 "$?" "exit status"

finish
