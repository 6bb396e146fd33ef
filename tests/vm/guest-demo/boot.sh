# The demo's second boot (tests/vm/demo; vm.mode=demo-boot vm.boot=demo): Debian's udevd has
# coldplugged the machine with boot-configs/demo.conf as /etc/iommugrp.conf, e1000 and e1000e
# as modules that udev loads. Shows what the boot pass did, and that e1000 never had the NICs.
. /tests/guest/lib.sh
. /tests/guest-boot/boot-lib.sh
. /tests/guest-demo/demo-lib.sh

single=$(group_of "$E1000E_BDF")
multi=$(group_of "$BRIDGE_BDF")

say "A new boot, now with a configuration: group $multi (the bridge and both e1000) to vfio-pci," \
	"group $single (the e1000e) to identity, before the native drivers first probe."
must step cat /etc/iommugrp.conf
say "What each entry resolves to on this machine, and what this kernel would refuse:"
must step iommugrp check-config
say "Debian's systemd-udevd coldplugged the machine (udevadm trigger, udevadm settle) with" \
	"05-iommugrp.rules, which runs before 80-drivers.rules loads e1000 and e1000e." \
	"The settle took $(settle_seconds) s under TCG. What the hook logged:"
must shell_step "dmesg | grep 'iommugrp:'"
say "The kernel's bind uevents during the boot (udevadm monitor --kernel): e1000 never bound" \
	"a NIC of group $multi; the e1000e was bound once, already in identity:"
echo "\$ udevadm monitor --kernel --property --subsystem-match=pci   (ACTION=bind events)"
bind_uevents | sed 's/^/bind  /'
echo
must step iommugrp -o NAME,TYPE,DRIVER,OVERRIDE list
must step iommugrp status
say "Converged: applying the configuration again changes nothing."
must step iommugrp apply --dry-run
say "The group goes back to its drivers by hand (vfio-release), and DMA works in identity:"
must step iommugrp vfio-release "$multi"
show_frames_move

if [ "$STEP_FAILED" -ne 0 ]; then
	echo "FAIL demo-boot: $STEP_FAILED step(s) failed"
fi
