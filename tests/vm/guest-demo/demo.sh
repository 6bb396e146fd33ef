# The demo, run inside the VM by tests/vm/demo (vm.mode=demo). Each step prints the command
# as "$ ..." and then its real output.
. /tests/guest/lib.sh
. /tests/guest-demo/demo-lib.sh

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
say "Why devices share a group: iommugrp replays the kernel's grouping rules from each PCI"
say "function's config space (ACS, port type, multi-function) and checks the result against the"
say "kernel's groups. A device behind a root port without ACS (QEMU's disable-acs=true):"
must step iommugrp why 12:00.0
say "The e1000s behind the PCIe-to-PCI bridge, and every group's reason as a column:"
must step iommugrp why "${E1000_B_BDF#0000:}"
must step iommugrp -o NAME,ID,REASON
say "A device address works too, in short form:"
must step iommugrp show "${E1000E_BDF#0000:}"
say "Chosen columns, flat, for scripts; or JSON:"
must step iommugrp -l -o GROUP,NAME,ID,DRIVER,VIABLE
must step iommugrp status --json

say "Switching a group's DMA policy: first the plan, every sysfs write in order:"
must step iommugrp set-policy --dry-run "$single" identity
say "A script that does not allow unbinding gets a refusal naming the drivers (exit 4):"
step iommugrp set-policy "$single" identity </dev/null
say "With --unbind: unbind, write, read back, rebind, each verified:"
must step iommugrp set-policy --unbind "$single" identity
say "The driver is back, on the identity (passthrough) domain: frames still move between the"
say "NICs on QEMU's hub (e1000e -> e1000 and back, no DMAR fault):"
wait_until 50 test -e "$PCI_DIR/$E1000E_BDF/net"
show_frames_move
must step iommugrp -o NAME,TYPE,DRIVER list
say "Back to the boot default:"
must step iommugrp set-policy --unbind "$single" auto
say "This kernel's rules for the multi-device group behind the bridge:"
step iommugrp set-policy --dry-run "$multi" DMA

say "Handing the bridge's group to vfio-pci, by naming one of its NICs: the whole group moves,"
say "the bridge stays, vfio-pci is loaded through libkmod:"
must step iommugrp vfio-bind "${E1000_A_BDF#0000:}"
must step iommugrp show "$multi"
say "A VMM holds the group (vfio-holder attaches it to a VFIO container, as QEMU would):"
if command -v vfio-holder >/dev/null; then
	vfio-holder "$multi" >/tmp/holder.out 2>&1 &
	holder=$!
	wait_until 100 grep -q '^held' /tmp/holder.out
	say "release refuses, naming the process, instead of hanging in the kernel's unbind:"
	step iommugrp vfio-release "$multi"
	kill "$holder"
	wait "$holder" 2>/dev/null
fi
say "The VMM is gone: every device goes back to the driver it had."
must step iommugrp vfio-release "$multi"
must step iommugrp -o NAME,DRIVER,OVERRIDE list
show_frames_move

if [ "$STEP_FAILED" -ne 0 ]; then
	echo "FAIL demo: $STEP_FAILED step(s) failed"
fi
