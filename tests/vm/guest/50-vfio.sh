# iommugrp vfio-bind / vfio-release / restore on the real kernel: whole groups to vfio-pci
# and back to the drivers they had, refusals while a VMM holds a group, and kill -9 at
# every step of a bind followed by restore.
. /tests/guest/ops-lib.sh
have_iommugrp vfio || exit 1

single=$(group_of "$E1000E_BDF")
multi=$(group_of "$BRIDGE_BDF")
state_before=$(pci_state)
assert_back_to_start() { assert_same "$1" "$state_before" "$(pci_state)"; }
on_vfio() { [ "$(driver_of "$1")" = vfio-pci ] && [ "$(cat "$PCI_DIR/$1/driver_override")" = vfio-pci ]; }

# -- the single e1000e: to vfio-pci (loading it through libkmod) and back
run_ig vfio-bind-single 0 vfio-bind "$E1000E_BDF"
if on_vfio "$E1000E_BDF"; then pass vfio-bind-single-on-vfio-pci
else fail vfio-bind-single-on-vfio-pci "driver '$(driver_of "$E1000E_BDF")'"; fi
assert_contains vfio-bind-prints-group-file "/dev/vfio/$single" "$OUT"
if [ -c "/dev/vfio/$single" ]; then pass vfio-bind-group-file-exists
else fail vfio-bind-group-file-exists "no /dev/vfio/$single"; fi
# Debian kernels ship vfio-pci as a module iommugrp loads; the project's kernel builds it in.
if [ -d /sys/module/vfio_pci ] && { [ ! -e /sys/module/vfio_pci/initstate ] ||
	[ "$(cat /sys/module/vfio_pci/initstate)" = live ]; }; then
	pass vfio-bind-vfio-pci-loaded-or-built-in
else
	fail vfio-bind-vfio-pci-loaded-or-built-in "no live vfio_pci module after vfio-bind"
fi
run_ig vfio-bind-again-is-noop 0 vfio-bind "$single"
assert_contains vfio-bind-noop-says-so "nothing to do" "$OUT"
run_ig vfio-release-single 0 vfio-release "$E1000E_BDF"
assert_back_to_start vfio-release-single-restores-driver-and-override
assert_frames_move vfio-release-single-dma-works
no_journal_left vfio-single-cycle-leaves-no-journal

# -- the multi-device group through one of its devices: the whole group moves, not the bridge
run_ig vfio-bind-multi-by-one-device 0 vfio-bind "$E1000_A_BDF"
assert_contains vfio-bind-says-whole-group "the whole group" "$OUT"
if on_vfio "$E1000_A_BDF" && on_vfio "$E1000_B_BDF"; then pass vfio-bind-multi-both-nics
else fail vfio-bind-multi-both-nics "drivers '$(driver_of "$E1000_A_BDF")' '$(driver_of "$E1000_B_BDF")'"; fi
assert_eq vfio-bind-multi-leaves-bridge "" "$(driver_of "$BRIDGE_BDF")" "bridge driver"
assert_eq vfio-bind-multi-group-viable true \
	"$(iommugrp show --json "$multi" | jq -r .iommugroup.viable)" "viable"

# -- a VMM holds the group: release refuses, naming it, instead of hanging in unbind
if command -v vfio-holder >/dev/null; then
	vfio-holder "$multi" >/tmp/holder.out 2>&1 &
	holder=$!
	if wait_until 100 grep -q "^held" /tmp/holder.out; then
		run_ig vfio-release-refused-while-held 4 vfio-release "$multi"
		assert_contains vfio-release-names-holder "process $holder (vfio-holder)" "$OUT"
		run_ig set-policy-refused-while-held 4 set-policy --unbind "$multi" DMA
		assert_eq vfio-held-group-untouched "vfio-pci vfio-pci" \
			"$(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" "drivers"
		run_ig show-lists-holder 0 show "$multi"
		assert_contains show-names-holder "process $holder (vfio-holder)" "$OUT"
	else
		fail vfio-holder-claims-group "vfio-holder did not hold group $multi: $(cat /tmp/holder.out)"
	fi
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
else
	fail vfio-holder-present "vfio-holder is not in the guest"
fi
run_ig vfio-release-multi 0 vfio-release "$E1000_B_BDF"
assert_back_to_start vfio-release-multi-restores-drivers
assert_frames_move vfio-release-multi-dma-works

# -- a failure mid-bind (the second device's probe) rolls the whole group back
with_fault fail-step=6 run_ig vfio-bind-failure-rolls-back 5 vfio-bind "$multi"
assert_back_to_start vfio-bind-rollback-restores-group
no_journal_left vfio-bind-rollback-leaves-no-journal

# -- kill -9 after every step of a bind, then restore: the group as it was, every time
steps=$(iommugrp vfio-bind --dry-run --json "$multi" | jq '.groups[0].steps | length')
assert_eq vfio-bind-multi-has-six-steps 6 "$steps" "steps"
k=1
while [ "$k" -le "${steps:-0}" ]; do
	LD_PRELOAD=$FAULT_PRELOAD IOMMUGRP_FAULT=stop-after=$k iommugrp vfio-bind "$multi" </dev/null >/dev/null 2>&1 &
	pid=$!
	if wait_until 100 sh -c "grep -q '^[^)]*) T' /proc/$pid/stat"; then
		# stopped, its lock held: under way (the kernel's /proc/locks), not interrupted
		run_ig "status-running-at-step-$k" 0 status
		assert_contains "status-names-running-group-$k" "operations under way: group $multi" "$OUT"
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		run_ig "status-warns-after-kill-at-step-$k" 0 status
		assert_contains "status-names-interrupted-group-$k" "group $multi" "$OUT"
		run_ig "restore-after-kill-at-step-$k" 0 restore
		assert_back_to_start "restore-after-kill-at-step-$k-state"
		no_journal_left "restore-after-kill-at-step-$k-journal"
	else
		fail "vfio-bind-stops-after-step-$k" "iommugrp did not stop: $(cat /proc/$pid/stat 2>&1)"
		kill -9 "$pid" 2>/dev/null
		iommugrp restore >/dev/null 2>&1
	fi
	k=$((k + 1))
done
assert_frames_move restore-cycles-dma-works

# -- a journal cut short is refused, nothing done
mkdir -p /run/iommugrp
printf 'iommugrp-journal 1\nboot-id x\n' >/run/iommugrp/group-"$single".journal
run_ig restore-refuses-truncated-journal 4 restore
assert_contains restore-truncated-explains "truncated or corrupt" "$OUT"
rm -f /run/iommugrp/group-"$single".journal
assert_back_to_start restore-truncated-changes-nothing

# -- a group bound by hand (no record): release clears the overrides, the kernel picks
for d in "$E1000_A_BDF" "$E1000_B_BDF"; do
	echo vfio-pci >"$PCI_DIR/$d/driver_override"
	echo "$d" >"$PCI_DIR/$d/driver/unbind"
	echo "$d" >/sys/bus/pci/drivers_probe
done
run_ig vfio-release-without-record 0 vfio-release "$multi"
assert_contains vfio-release-without-record-says-so "no record" "$OUT"
assert_back_to_start vfio-release-without-record-restores-default-drivers

# -- the host needs a NIC with an address: refused unless --force
ifc=$(net_iface_of "$E1000E_BDF")
ip link set "$ifc" up && ip addr add 192.0.2.9/24 dev "$ifc"
run_ig vfio-bind-refuses-nic-in-use 4 vfio-bind "$single"
assert_contains vfio-bind-refusal-names-interface "$ifc" "$OUT"
ip addr flush dev "$ifc"
ip link set "$ifc" down
assert_back_to_start vfio-bind-refusal-changes-nothing

# -- --user/--group hand the group's VFIO files to an unprivileged VMM
grep -q '^vmm:' /etc/passwd 2>/dev/null || echo 'vmm:x:4242:4343::/:/bin/false' >>/etc/passwd
grep -q '^kvm:' /etc/group 2>/dev/null || echo 'kvm:x:4343:' >>/etc/group
run_ig vfio-bind-for-unprivileged-vmm 0 vfio-bind --user vmm --group kvm "$single"
assert_eq vfio-bind-files-owned-by-vmm "4242:4343" "$(stat -c %u:%g "/dev/vfio/$single" 2>&1)" "owner"
run_ig vfio-release-after-unprivileged-vmm 0 vfio-release "$single"
assert_back_to_start vfio-unprivileged-cycle-ends-as-found

assert_frames_move vfio-tests-end-dma-works
finish
