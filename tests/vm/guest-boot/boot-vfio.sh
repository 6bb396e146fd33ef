# boots-on: debian-6.1 debian-6.12 builtin
# boot-configs/boot-vfio.conf: the bridge's group by path= to vfio-pci, the e1000e's group to
# identity. Modular kernels: the hook holds both e1000 before udev's "kmod load e1000", so e1000
# never binds them (shown by the kernel's bind uevents and its log). Built-in drivers bound
# before udev existed: the unbind fallback, same end state. Then a hot-plugged configured
# device (remove + rescan) ends on vfio-pci too, and DMA works through the identity group.
. /tests/guest-boot/boot-lib.sh
. /tests/guest/ops-lib.sh
have_iommugrp boot-vfio || exit 1

vfio_group=$(group_of "$BRIDGE_BDF")
policy_group=$(group_of "$E1000E_BDF")
log=$(iommugrp_log)
builtin=no
# The patched kernel has its drivers built in (no modules directory).
[ -e "/lib/modules/$(uname -r)/modules.dep" ] || builtin=yes

for d in "$E1000_A_BDF" "$E1000_B_BDF"; do
	assert_eq "vfio-$d-on-vfio-pci" vfio-pci "$(driver_of "$d")" "driver of $d"
	if [ $builtin = no ]; then
		# The only bind either device ever saw is vfio-pci's.
		assert_eq "vfio-$d-never-bound-by-e1000" "bind:vfio-pci" "$(driver_history "$d")" "bind/unbind uevents"
		assert_cmd "vfio-$d-no-e1000-probe-in-kernel-log" sh -c "! dmesg | grep -q '^\[[ 0-9.]*\] e1000 $d'"
	else
		# Built in: e1000 bound before /init; the hook unbound it, then vfio-pci bound.
		assert_eq "vfio-$d-unbind-fallback" "unbind bind:vfio-pci" "$(driver_history "$d")" "bind/unbind uevents"
		assert_cmd "vfio-$d-e1000-had-probed" sh -c "dmesg | grep -q '^\[[ 0-9.]*\] e1000 $d'"
	fi
done
assert_cmd vfio-dev-vfio-node test -c "/dev/vfio/$vfio_group"
if [ $builtin = no ]; then
	assert_contains vfio-log-group-applied "group $vfio_group: applied" "$log"
	assert_contains vfio-log-held-before-probe "group $vfio_group: held:" "$log"
else
	# Bound before udev existed: nothing unbound to hold, the fallback unbinds instead.
	assert_contains vfio-log-group-fell-back "group $vfio_group: fell-back" "$log"
fi

assert_eq identity-type identity "$(group_type "$policy_group")" "group $policy_group type"
assert_eq identity-e1000e-bound e1000e "$(driver_of "$E1000E_BDF")" "driver of $E1000E_BDF"
if [ $builtin = no ]; then
	assert_eq identity-e1000e-bound-once "bind:e1000e" "$(driver_history "$E1000E_BDF")" "bind/unbind uevents"
else
	assert_eq identity-e1000e-rebound "unbind bind:e1000e" "$(driver_history "$E1000E_BDF")" "bind/unbind uevents"
fi
assert_eq identity-no-hold-left "(null)" "$(cat "$PCI_DIR/$E1000E_BDF/driver_override")" "driver_override"
assert_contains identity-log-boot-pass "boot pass: 2 groups configured" "$log"

# status and show say what the boot pass did.
run_ig vfio-status 0 status
assert_contains vfio-status-names-boot-group "group $vfio_group" "$OUT"
run_ig vfio-show 0 show "$vfio_group"
assert_contains vfio-show-names-entry "/etc/iommugrp.conf:4" "$OUT"

# DMA through the identity group: give the vfio group back by hand (01:01.0 is the e1000e's
# peer on QEMU's hub), then frames must move both ways.
run_ig vfio-release-after-boot 0 vfio-release "$vfio_group"
assert_eq vfio-release-gives-e1000 e1000 "$(driver_of "$E1000_A_BDF")" "driver of $E1000_A_BDF"
assert_frames_move identity-frames-move

# Hot-plug: the device goes and comes back with no override, and e1000 (loaded by now) binds
# it at once; the hook converges its group again: both NICs end on vfio-pci (the fallback).
echo 1 >"$PCI_DIR/$E1000_B_BDF/remove"
if wait_until 100 sh -c "! [ -e '$PCI_DIR/$E1000_B_BDF' ]"; then
	dmesg_mark
	echo 1 >/sys/bus/pci/rescan
	udevadm settle --timeout=60
	if wait_until 100 sh -c "[ \"\$(basename \"\$(readlink '$PCI_DIR/$E1000_B_BDF/driver')\")\" = vfio-pci ]"; then
		pass hotplug-rescan-ends-on-vfio-pci
	else
		fail hotplug-rescan-ends-on-vfio-pci "driver of $E1000_B_BDF after rescan: '$(driver_of "$E1000_B_BDF")'; log: $(dmesg_since_mark | grep iommugrp: | tail -n 3)"
	fi
	assert_contains hotplug-log-converges-group "$E1000_B_BDF: new in group $vfio_group" "$(dmesg_since_mark)"
else
	fail hotplug-remove "$E1000_B_BDF did not go away"
fi
assert_eq hotplug-group-back-on-vfio-pci vfio-pci "$(driver_of "$E1000_A_BDF")" "driver of $E1000_A_BDF"
# The hold the hook put on the re-added device was its own: vfio-release gives both NICs
# back to e1000, none to vfio-pci, and leaves no override.
run_ig vfio-release-after-hotplug 0 vfio-release "$vfio_group"
for d in "$E1000_A_BDF" "$E1000_B_BDF"; do
	assert_eq "hotplug-release-$d-on-e1000" "e1000 (null)" \
		"$(driver_of "$d") $(cat "$PCI_DIR/$d/driver_override")" "driver and override of $d"
done
finish
