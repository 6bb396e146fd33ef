# boots-on: debian-6.1 debian-6.12 builtin
# boot-configs/boot-host-use.*: the configuration hands the e1000e's and the NVMe's groups to
# vfio-pci, but before udevd starts the host already uses both (setup: the e1000e is the port
# of br0, which carries the default route; ext4 mounted from a dm volume on the disk). The boot
# pass refuses both groups, naming the chain, and leaves them as they were: native driver
# bound, never unbound, no driver_override (no hold left), type as booted; status and the
# group's boot state say refused. Where the kernel cannot stack them (the patched kernel: no
# bridge, dm or ext4) the default route is on the NIC itself and the idle disk is handed over,
# so the refusal is the host use's, not the configuration's.
. /tests/guest-boot/boot-lib.sh
. /tests/guest/host-use-lib.sh
have_iommugrp boot-host-use || exit 1

log=$(iommugrp_log)
made=$(cat "$BOOT_STATE/host-use" 2>/dev/null)
nic_group=$(group_of "$E1000E_BDF")
disk_group=$(group_of "$NVME_BDF")
boot_type=$(group_type "$(group_of "$ICH9_LPC_BDF")")
ifc=$(net_iface_of "$E1000E_BDF")
echo "# boot-host-use: setup made: $(echo "$made" | tr '\n' ' ')"
run_ig host-use-status 0 status
status=$OUT

# refused_at_boot NAME BDF GROUP DRIVER CHAIN: the pass refused GROUP because the host needs
# BDF (CHAIN), logged and recorded, and left BDF on DRIVER, never unbound, with no override.
refused_at_boot() {
	local name=$1 bdf=$2 group=$3 driver=$4 chain=$5
	assert_eq "$name-driver-kept" "$driver (null)" \
		"$(driver_of "$bdf") $(cat "$PCI_DIR/$bdf/driver_override")" "driver and driver_override of $bdf"
	assert_eq "$name-never-unbound" "" "$(driver_history "$bdf")" "bind/unbind uevents during coldplug"
	assert_eq "$name-type-as-booted" "$boot_type" "$(group_type "$group")" "type of group $group"
	if echo "$log" | grep -qE -- "group $group: .*$bdf is needed by the host: $chain"; then
		pass "$name-log-names-chain"
	else
		fail "$name-log-names-chain" "no 'group $group: ... $bdf is needed by the host: $chain' in: $(echo "$log" | tail -n 5)"
	fi
	assert_eq "$name-boot-state-refused" outcome=refused \
		"$(grep '^outcome=' "/run/iommugrp/boot/group-$group" 2>&1)" "/run/iommugrp/boot/group-$group"
	if echo "$status" | grep -qE "group $group: .*refused"; then
		pass "$name-status-says-refused"
	else
		fail "$name-status-says-refused" "status: $(echo "$status" | grep -A 3 '^boot:' | tr '\n' ' ')"
	fi
	echo "# $name: $(echo "$log" | grep -m 1 "$bdf is needed by the host")"
}

assert_contains host-use-log-boot-pass "boot pass: 2 groups configured" "$log"
case $made in
*net=bridge*)
	refused_at_boot nic-bridge "$E1000E_BDF" "$nic_group" e1000e \
		"its interface $ifc is a port of the bridge br0, which carries the default route" ;;
*net=plain*)
	refused_at_boot nic-route "$E1000E_BDF" "$nic_group" e1000e \
		"its interface $ifc carries the default route" ;;
*) fail host-use-setup "the setup made no network stack (state: '$made')" ;;
esac
disk=$(nvme_disk)
case $made in
*disk=dm-ext4*)
	dm=$(ls "/sys/class/block/${disk}p1/holders" 2>/dev/null)
	refused_at_boot disk-dm-ext4 "$NVME_BDF" "$disk_group" nvme \
		"it holds ${disk}p1, below $dm \(LVM vg0-root\), which is mounted on /mnt/vmroot" ;;
*disk=idle*)
	# The kernel can mount nothing on it: the same configuration hands the idle disk over.
	assert_eq disk-idle-on-vfio-pci vfio-pci "$(driver_of "$NVME_BDF")" "driver of $NVME_BDF"
	assert_eq disk-idle-boot-state "outcome=fell-back" \
		"$(grep '^outcome=' "/run/iommugrp/boot/group-$disk_group" 2>&1)" "/run/iommugrp/boot/group-$disk_group" ;;
*) fail host-use-setup-disk "the setup left no word on the disk (state: '$made')" ;;
esac
assert_cmd host-use-no-hold-left sh -c "! grep -l iommugrp-hold $PCI_DIR/*/driver_override"

# Once the host lets go, apply converges the configuration the pass refused.
umount /mnt/vmroot 2>/dev/null
dmsetup remove vg0-root 2>/dev/null
ip link del br0 2>/dev/null
ip route del default 2>/dev/null
ip link set "$ifc" down
run_ig host-use-apply-after-release 0 apply --unbind
assert_eq host-use-nic-on-vfio-pci-after-release vfio-pci "$(driver_of "$E1000E_BDF")" "driver of $E1000E_BDF"
assert_eq host-use-disk-on-vfio-pci-after-release vfio-pci "$(driver_of "$NVME_BDF")" "driver of $NVME_BDF"
finish
