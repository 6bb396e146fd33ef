# What the host needs, on the real kernel (issue 21): the NICs below a routed bridge, bond or
# VLAN and the NVMe disk below a mounted ext4 on device-mapper, or below a swap partition,
# are refused by every changing command (exit 4, the chain in the message, no driver,
# override or type changed, no journal); --force still plans them; once the host lets go the
# same device is idle and handed over. Each stack is made as real hosts make it (iproute2,
# dmsetup, mke2fs from the host) and taken down after. A kernel that lacks a stack (the
# patched 6.1 builds in no bridge, bond, VLAN, IPv6, dm, ext4 or swap, and has no modules)
# skips just that part, printing why; the plain default route works everywhere.
. /tests/guest/host-use-lib.sh
have_iommugrp host-use || exit 1

state_before=$(pci_state)
rules=$(type_change_rules)
e=$(net_iface_of "$E1000E_BDF")
a=$(net_iface_of "$E1000_A_BDF")
[ -n "$e" ] && [ -n "$a" ] || fail host-use-nics "no interface on $E1000E_BDF ('$e') or $E1000_A_BDF ('$a')"

# needed_everywhere NAME BDF TARGET ERE: the host needs BDF for the reason ERE (a regex of
# the chain after "BDF is needed by the host: "); every changing command aimed at TARGET (BDF
# or another member of its group) refuses; check-config predicts it; --force plans it; show
# -J carries it.
needed_everywhere() {
	local name=$1 bdf=$2 target=$3 chain=$4 ere="$2 is needed by the host: $4" group members
	group=$(group_of "$bdf")
	members=$(group_members "$group" | wc -l)
	refused "$name-vfio-bind" 4 "$ere" vfio-bind "$target"
	echo "# $name: $(echo "$OUT" | grep -m 1 'needed by the host')"
	if [ "$members" -gt 1 ] && [ "$rules" = single-device ]; then
		# 6.1 changes the type of single-device groups only: that refusal comes first.
		refused "$name-set-policy-unbind" 4 "single-device groups" set-policy --unbind "$target" identity
	else
		refused "$name-set-policy-unbind" 4 "$ere" set-policy --unbind "$target" identity
	fi
	printf 'address=%s vfio=yes\n' "$target" >/etc/iommugrp.conf
	chmod 644 /etc/iommugrp.conf
	refused "$name-apply" 4 "$ere" apply
	refused "$name-check-config" 4 "$ere" check-config
	rm -f /etc/iommugrp.conf
	refused "$name-force-plans" 0 "would write:" vfio-bind --dry-run --force "$target"
	refused "$name-show-json" 0 "\"host_use\": *\"$chain" show -J "$bdf"
}

# idle NAME BDF: show -J says the host does not need BDF (host_use null).
idle() {
	assert_eq "$1" null "$(iommugrp show -J "$2" | jq -r --arg d "$2" \
		'.iommugroup.devices[] | select(.name == $d) | .host_use' 2>&1)" "host_use of $2"
}

# handed_over NAME TARGET: vfio-bind takes TARGET's group (exit 0, TARGET on vfio-pci),
# vfio-release gives it back, and every device is as at the start.
handed_over() {
	run_ig "$1-vfio-bind" 0 vfio-bind "$2"
	assert_eq "$1-on-vfio-pci" vfio-pci "$(driver_of "$2")" "driver of $2"
	run_ig "$1-vfio-release" 0 vfio-release "$2"
	assert_same "$1-back-as-found" "$state_before" "$(pci_state)"
}

# ---- network ---------------------------------------------------------------------------
idle net-e1000e-idle-at-start "$E1000E_BDF"

# The default route straight on the NIC (every kernel).
ip link set "$e" up && ip route add default dev "$e"
needed_everywhere net-default-route "$E1000E_BDF" "$E1000E_BDF" "its interface $e carries the default route"
ip route del default dev "$e"
ip link set "$e" down
idle net-default-route-gone-idle "$E1000E_BDF"

# A port of a bridge with the default route: the other member of the group is refused too,
# naming the port (the group goes whole).
if need net-bridge CONFIG_BRIDGE bridge; then
	bridge_made=1
	ip link add br0 type bridge && ip link set "$a" master br0 && ip link set "$a" up &&
		ip link set br0 up && ip route add default dev br0 ||
		fail net-bridge-setup "could not make br0 over $a with the default route"
	needed_everywhere net-bridge "$E1000_A_BDF" "$E1000_B_BDF" \
		"its interface $a is a port of the bridge br0, which carries the default route"
	# Only a global IPv6 address on the bridge, no route of its own.
	ip route del default dev br0
	if [ ! -e /proc/net/if_inet6 ]; then
		echo "# SKIP net-bridge-ipv6: $(uname -r) has no IPv6"
	elif ip -6 addr add 2001:db8:55::1/64 dev br0 nodad noprefixroute; then
		needed_everywhere net-bridge-ipv6 "$E1000_A_BDF" "$E1000_A_BDF" \
			"its interface $a is a port of the bridge br0, which has a global IPv6 address, 2001:db8:55::1/64"
	else
		fail net-bridge-ipv6-setup "ip -6 addr add on br0 failed"
	fi
	ip link del br0
	ip link set "$a" down
	idle net-bridge-gone-idle "$E1000_A_BDF"
fi

# A slave of a bond with the default route (bonding creates no bond0 of its own).
if need net-bond CONFIG_BONDING bonding max_bonds=0; then
	ip link add bond0 type bond mode active-backup && ip link set "$e" master bond0 &&
		ip link set bond0 up && ip route add default dev bond0 ||
		fail net-bond-setup "could not make bond0 over $e with the default route"
	needed_everywhere net-bond "$E1000E_BDF" "$E1000E_BDF" \
		"its interface $e is a port of the bond bond0, which carries the default route"
	ip link del bond0
	ip link set "$e" down
	idle net-bond-gone-idle "$E1000E_BDF"
fi

# The link of a VLAN with an address (its prefix route, and the address netlink shows).
if need net-vlan CONFIG_VLAN_8021Q 8021q; then
	ip link set "$e" up && ip link add link "$e" name vlan100 type vlan id 100 &&
		ip link set vlan100 up && ip addr add 198.51.100.2/24 dev vlan100 ||
		fail net-vlan-setup "could not make vlan100 over $e with an address"
	needed_everywhere net-vlan "$E1000E_BDF" "$E1000E_BDF" \
		"its interface $e is the link of the VLAN vlan100, which (carries the route to 198\.51\.100\.0/24|has)"
	ip link del vlan100
	ip link set "$e" down
	idle net-vlan-gone-idle "$E1000E_BDF"
fi

handed_over net-e1000e-free "$E1000E_BDF"
# The bridge's port, where there was a bridge (50-vfio hands that group over anyway).
[ -n "${bridge_made:-}" ] && handed_over net-e1000-group-free "$E1000_A_BDF"

# ---- storage: the NVMe disk ---------------------------------------------------------------
if [ -z "$NVME_BDF" ]; then
	fail disk-nvme-present "no NVMe (1b36:0010) in the VM"
elif ! wait_until 300 sh -c '[ -n "$(ls /sys/class/block | grep "^nvme[0-9]*n[0-9]*$")" ]'; then
	fail disk-nvme-namespace "no namespace block device on $NVME_BDF (driver '$(driver_of "$NVME_BDF")')"
else
	disk=$(nvme_disk)
	pass disk-nvme-namespace
	idle disk-nvme-idle-at-start "$NVME_BDF"
	if partition_nvme "$disk"; then
		pass disk-partitioned
	else
		fail disk-partitioned "no ${disk}p1/${disk}p2 after writing the DOS label"
	fi

	# ext4 on a linear device-mapper volume with an LVM uuid, on p1, mounted.
	if need disk-dm CONFIG_BLK_DEV_DM dm_mod && need disk-ext4 CONFIG_EXT4_FS ext4 &&
		need disk-crc32c CONFIG_CRYPTO_CRC32C crc32c_generic; then
		mkdir -p /mnt/vmroot
		if dmsetup create vg0-root --uuid LVM-iommugrpvmtestvg0root0000000000000000 \
			--table "0 81920 linear /dev/${disk}p1 0" >/tmp/dm.out 2>&1 &&
			mke2fs -q -F -t ext4 -E nodiscard /dev/mapper/vg0-root >>/tmp/dm.out 2>&1 &&
			mount -t ext4 /dev/mapper/vg0-root /mnt/vmroot >>/tmp/dm.out 2>&1; then
			# dmsetup without udev makes /dev/mapper/vg0-root a node: the kernel's name is
			# the partition's holder.
			dm=$(ls "/sys/class/block/${disk}p1/holders")
			needed_everywhere disk-dm-ext4 "$NVME_BDF" "$NVME_BDF" \
				"it holds ${disk}p1, below $dm \(LVM vg0-root\), which is mounted on /mnt/vmroot"
		else
			fail disk-dm-ext4-setup "$(tail -n 3 /tmp/dm.out)"
		fi
		umount /mnt/vmroot 2>/dev/null
		dmsetup remove vg0-root 2>/dev/null
	fi

	# Swap on p2.
	if need disk-swap CONFIG_SWAP swap; then
		if mkswap "/dev/${disk}p2" >/tmp/swap.out 2>&1 && swapon "/dev/${disk}p2" >>/tmp/swap.out 2>&1; then
			needed_everywhere disk-swap "$NVME_BDF" "$NVME_BDF" \
				"it holds ${disk}p2, which is in use as swap"
		else
			fail disk-swap-setup "$(tail -n 3 /tmp/swap.out)"
		fi
		swapoff "/dev/${disk}p2" 2>/dev/null
	fi

	idle disk-nvme-idle-again "$NVME_BDF"
	handed_over disk-nvme-free "$NVME_BDF"
	if wait_until 300 sh -c '[ -n "$(ls /sys/class/block | grep "^nvme[0-9]*n[0-9]*$")" ]'; then
		pass disk-nvme-namespace-back
	else
		fail disk-nvme-namespace-back "no namespace after vfio-release (driver '$(driver_of "$NVME_BDF")')"
	fi
fi

assert_same host-use-ends-as-found "$state_before" "$(pci_state)"
finish
