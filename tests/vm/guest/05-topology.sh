# The VM looks the way the other tests assume (kernel's own view, no iommugrp), and DMA
# works before anything is changed.
. /tests/guest/lib.sh

g=$(group_of "$E1000E_BDF")
if [ -z "$E1000E_BDF" ]; then
	fail topology-e1000e-single-device-group "no e1000e (8086:10d3) in the VM"
else
	assert_eq topology-e1000e-single-device-group "$E1000E_BDF e1000e" \
		"$(group_members "$g" | tr '\n' ' ')$(driver_of "$E1000E_BDF")" "group $g members and driver"
fi

g=$(group_of "$BRIDGE_BDF")
assert_eq topology-bridge-multi-device-group \
	"$(printf '%s\n' "$BRIDGE_BDF" "$E1000_A_BDF" "$E1000_B_BDF" | sort | tr '\n' ' ')e1000 e1000" \
	"$(group_members "$g" | sort | tr '\n' ' ')$(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" \
	"bridge group $g members and e1000 drivers"

g=$(group_of "$ICH9_LPC_BDF")
assert_eq topology-ich9-multi-function-group "0000:00:1f.0 0000:00:1f.2 0000:00:1f.3" \
	"$(group_members "$g" | tr '\n' ' ' | sed 's/ $//')" "ICH9 group $g members"

# Every group starts with the kernel's boot default domain type.
assert_eq topology-groups-share-boot-type 1 "$(for g in $(all_groups); do group_type "$g"; done | sort -u | wc -l)" \
	"number of distinct group types at boot"

assert_frames_move dma-works-at-boot

# The check is not vacuous: the second e1000 is on no hub, so no frame can reach it.
if why=$(frames_move "$E1000E_BDF" "$E1000_B_BDF"); then
	fail frames-check-fails-without-a-path "frames 'moved' to $E1000_B_BDF, which is on no hub"
else
	case $why in
	"no ARP reply"*) pass frames-check-fails-without-a-path ;;
	*) fail frames-check-fails-without-a-path "failed for another reason: $why" ;;
	esac
fi

finish
