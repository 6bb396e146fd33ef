# The demo, run inside the VM by tests/vm/demo (vm.mode=demo). Each step prints the command
# as "$ ..." and then its real output. Later work appends set-policy and vfio steps.
. /tests/guest/lib.sh

# step COMMAND...: shows and runs a command; a failing iommugrp command fails the demo.
STEP_FAILED=0
step() {
	echo "\$ $*"
	"$@" 2>&1
	rc=$?
	[ $rc -eq 0 ] || echo "(exit status $rc)"
	echo
	return $rc
}
# shell_step "COMMAND LINE": the same for a line with redirections (shown as typed).
shell_step() {
	echo "\$ $1"
	sh -c "$1" 2>&1
	rc=$?
	[ $rc -eq 0 ] || echo "(exit status $rc)"
	echo
	return $rc
}
say() { printf '# %s\n' "$@"; }
must() { "$@" || STEP_FAILED=$((STEP_FAILED + 1)); }

single=$(group_of "$E1000E_BDF")
multi=$(group_of "$BRIDGE_BDF")

say "A QEMU q35 machine with an emulated Intel IOMMU, Linux $(uname -r)." \
	"NICs: an e1000e alone in group $single; two e1000 behind a PCI bridge, together in group $multi."
echo
say "What the kernel exposes:"
must shell_step "ls /sys/kernel/iommu_groups/ /sys/kernel/iommu_groups/$multi/devices/"
say "iommugrp lists every group with its devices, DMA policy (TYPE) and VFIO viability:"
must step iommugrp
say "What this kernel allows: iommugrp status tells the rules for changing a group's type."
must step iommugrp status
say "Everything about one group: who blocks VFIO, and its reserved regions:"
must step iommugrp show "$multi"
say "A device address works too, in short form:"
must step iommugrp show "${E1000E_BDF#0000:}"
say "Chosen columns, flat, for scripts; or JSON:"
must step iommugrp -l -o GROUP,NAME,ID,DRIVER,VIABLE
must step iommugrp status --json

say "The type-change rules at work (plain sysfs writes; iommugrp reads the result back):"
shell_step "echo identity > /sys/kernel/iommu_groups/$single/type"
must shell_step "echo $E1000E_BDF > /sys/bus/pci/devices/$E1000E_BDF/driver/unbind"
must shell_step "echo identity > /sys/kernel/iommu_groups/$single/type"
must step iommugrp show "$single"
say "The driver back on the identity (passthrough) domain: frames still move between the NICs"
say "on QEMU's hub (e1000e -> e1000 and back, no DMAR fault):"
must shell_step "echo $E1000E_BDF > /sys/bus/pci/drivers/e1000e/bind"
wait_until 50 test -e "$PCI_DIR/$E1000E_BDF/net"
if why=$(frames_move "$E1000E_BDF" "$E1000_A_BDF"); then
	echo "frames moved"
else
	echo "frames did not move: $why"
	STEP_FAILED=$((STEP_FAILED + 1))
fi
echo
must step iommugrp -o NAME,TYPE,DRIVER list
# Back as it was.
unbind_device "$E1000E_BDF"
sysfs_write "$GROUPS_DIR/$single/type" auto >/dev/null
bind_device "$E1000E_BDF" e1000e

if [ "$STEP_FAILED" -ne 0 ]; then
	echo "FAIL demo: $STEP_FAILED step(s) failed"
fi
