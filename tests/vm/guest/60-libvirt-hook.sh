# contrib/libvirt's qemu hook, called exactly as libvirtd calls the files of
# /etc/libvirt/hooks/qemu.d/ (docs/hooks.rst: "HOOK guest_name prepare begin -" and
# "HOOK guest_name release end <reason>", the full domain XML on stdin, stdout read back as a
# replacement XML): a domain using one NIC of the bridge's group gets the whole group on
# vfio-pci; release gives each device back to the driver it had before; refusals exit non-zero
# with iommugrp's reason on stderr and change nothing.
. /tests/guest/ops-lib.sh
have_iommugrp libvirt-hook || exit 1
HOOK=/usr/libexec/iommugrp/libvirt-qemu-hook
if [ ! -x "$HOOK" ]; then
	fail libvirt-hook-in-guest "$HOOK is not in the guest (built only with libxml2: make libvirt-hook)"
	finish
	exit
fi

multi=$(group_of "$BRIDGE_BDF")
uuid=c7a5fdbd-cdaf-9455-926a-d65c16db1809
record=/run/iommugrp/libvirt/$uuid.groups
on_vfio() { [ "$(driver_of "$1")" = vfio-pci ] && [ "$(cat "$PCI_DIR/$1/driver_override")" = vfio-pci ]; }

# domain_xml NAME UUID BDF[,BDF...]: a domain as libvirt hands it to hooks, a <hostdev
# managed='no'> for each BDF, in that order.
domain_xml() {
	local bdf bus slot fn
	printf "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n" "$1" "$2"
	printf "  <memory unit='KiB'>1048576</memory>\n"
	printf "  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>\n  <devices>\n"
	printf "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
	for bdf in $(echo "$3" | tr , ' '); do
		bus=${bdf#*:}
		slot=${bus#*:}
		fn=${slot#*.}
		slot=${slot%.*}
		bus=${bus%%:*}
		printf "    <hostdev mode='subsystem' type='pci' managed='no'>\n      <driver name='vfio'/>\n"
		printf "      <source>\n        <address domain='0x0000' bus='0x%s' slot='0x%s' function='0x%s'/>\n" \
			"$bus" "$slot" "$fn"
		printf "      </source>\n    </hostdev>\n"
	done
	printf "  </devices>\n</domain>\n"
}

# call_hook NAME EXPECTED_STATUS DOMAIN UUID BDF OPERATION SUBOP EXTRA: as libvirtd does; leaves
# stdout in $HOOK_OUT and stderr in $HOOK_ERR.
call_hook() {
	local name=$1 expected=$2 status=0
	domain_xml "$3" "$4" "$5" >/tmp/domain.xml
	HOOK_OUT=$("$HOOK" "$3" "$6" "$7" "$8" </tmp/domain.xml 2>/tmp/hook.err) || status=$?
	HOOK_ERR=$(cat /tmp/hook.err)
	if [ "$status" = "$expected" ]; then
		pass "$name"
	else
		fail "$name" "hook $3 $6 $7 $8: exit $status, expected $expected: $(echo "$HOOK_ERR" | tail -n 4)"
	fi
	assert_eq "$name-prints-no-xml" "" "$HOOK_OUT" "stdout (libvirt would take it for a new XML)"
}

# 01:02.0 starts without a driver: release must bring back exactly that, where libvirt's own
# reattach (and a kernel reprobe) would bind e1000 to it.
unbind_device "$E1000_B_BDF"
state_before=$(pci_state)

# -- prepare begin: the whole group of 01:01.0 to vfio-pci, the bridge stays
call_hook libvirt-prepare-begin 0 vm1 "$uuid" "$E1000_A_BDF" prepare begin -
if on_vfio "$E1000_A_BDF" && on_vfio "$E1000_B_BDF"; then pass libvirt-prepare-moves-whole-group
else fail libvirt-prepare-moves-whole-group "drivers '$(driver_of "$E1000_A_BDF")' '$(driver_of "$E1000_B_BDF")'"; fi
assert_eq libvirt-prepare-leaves-bridge "" "$(driver_of "$BRIDGE_BDF")" "bridge driver"
if [ -c "/dev/vfio/$multi" ]; then pass libvirt-prepare-group-file-exists
else fail libvirt-prepare-group-file-exists "no /dev/vfio/$multi"; fi
assert_eq libvirt-prepare-records-group "$multi" "$(cat "$record" 2>&1)" "record"
no_journal_left libvirt-prepare-leaves-no-journal
# The other hooks of a start, and a second prepare (libvirtd restarted), change nothing.
call_hook libvirt-start-begin-is-noop 0 vm1 "$uuid" "$E1000_A_BDF" start begin -
call_hook libvirt-started-begin-is-noop 0 vm1 "$uuid" "$E1000_A_BDF" started begin -
call_hook libvirt-prepare-again-is-noop 0 vm1 "$uuid" "$E1000_A_BDF" prepare begin -
assert_eq libvirt-prepare-again-keeps-record "$multi" "$(cat "$record" 2>&1)" "record"

# -- release end while the VMM still holds the group: refused, named, nothing changed
if command -v vfio-holder >/dev/null; then
	vfio-holder "$multi" >/tmp/holder.out 2>&1 &
	holder=$!
	if wait_until 100 grep -q "^held" /tmp/holder.out; then
		call_hook libvirt-release-refused-while-held 4 vm1 "$uuid" "$E1000_A_BDF" release end -
		assert_contains libvirt-release-refusal-names-holder "process $holder (vfio-holder)" "$HOOK_ERR"
		assert_contains libvirt-release-refusal-names-domain "domain 'vm1'" "$HOOK_ERR"
		if on_vfio "$E1000_A_BDF" && on_vfio "$E1000_B_BDF"; then pass libvirt-release-refused-changes-nothing
		else fail libvirt-release-refused-changes-nothing "drivers '$(driver_of "$E1000_A_BDF")' '$(driver_of "$E1000_B_BDF")'"; fi
		assert_eq libvirt-release-refused-keeps-record "$multi" "$(cat "$record" 2>&1)" "record"
	else
		fail vfio-holder-claims-group "vfio-holder did not hold group $multi: $(cat /tmp/holder.out)"
	fi
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
else
	fail vfio-holder-present "vfio-holder is not in the guest"
fi

# -- release end (libvirt >= 10.5 passes the shutoff reason): each device as it was before
call_hook libvirt-release-end 0 vm1 "$uuid" "$E1000_A_BDF" release end shutdown
assert_same libvirt-release-restores-previous-drivers "$state_before" "$(pci_state)"
assert_eq libvirt-release-unbound-stays-unbound "" "$(driver_of "$E1000_B_BDF")" "01:02.0 driver"
if [ ! -e "$record" ]; then pass libvirt-release-removes-record
else fail libvirt-release-removes-record "$record is left: $(cat "$record")"; fi
call_hook libvirt-release-again-is-noop 0 vm1 "$uuid" "$E1000_A_BDF" release end -
assert_same libvirt-release-again-changes-nothing "$state_before" "$(pci_state)"
bind_device "$E1000_B_BDF" e1000
assert_frames_move libvirt-release-dma-works

# -- two groups, the second one's handoff fails half-way (its 5th write): it is rolled back, and
# the first, already on vfio-pci, is given back too; the domain does not start.
single=$(group_of "$E1000E_BDF")
state_before=$(pci_state)
steps=$(iommugrp vfio-bind --dry-run --json "$single" | jq '.groups[0].steps | length')
assert_eq libvirt-single-group-has-three-steps 3 "$steps" "steps of group $single"
# (the preload counts the process's writes: the 3 of the first group, then the second's 2nd)
with_fault fail-step=5 call_hook libvirt-prepare-second-group-fails 5 vm3 "$uuid" "$E1000E_BDF,$E1000_A_BDF" prepare begin -
assert_contains libvirt-prepare-failure-names-group "group $multi (hostdev $E1000_A_BDF): failed and was rolled back" "$HOOK_ERR"
assert_contains libvirt-prepare-failure-gives-back-first "giving back the 1 group(s) already handed to vfio-pci" "$HOOK_ERR"
assert_same libvirt-prepare-failure-leaves-host-as-found "$state_before" "$(pci_state)"
if [ ! -e "$record" ]; then pass libvirt-prepare-failure-records-nothing
else fail libvirt-prepare-failure-records-nothing "$record exists: $(cat "$record")"; fi
no_journal_left libvirt-prepare-failure-leaves-no-journal

# -- prepare refused: the NIC the host is using (an address on it); the domain does not start
state_before=$(pci_state)
ifc=$(net_iface_of "$E1000E_BDF")
ip link set "$ifc" up && ip addr add 192.0.2.9/24 dev "$ifc"
call_hook libvirt-prepare-refused-host-nic 4 vm2 "$uuid" "$E1000E_BDF" prepare begin -
assert_contains libvirt-prepare-refusal-says-refused "refused, nothing was changed" "$HOOK_ERR"
assert_contains libvirt-prepare-refusal-names-interface "$ifc" "$HOOK_ERR"
ip addr flush dev "$ifc"
ip link set "$ifc" down
assert_same libvirt-prepare-refused-changes-nothing "$state_before" "$(pci_state)"
if [ ! -e "$record" ]; then pass libvirt-prepare-refused-records-nothing
else fail libvirt-prepare-refused-records-nothing "$record exists"; fi
# libvirt runs release end after a failed start: nothing to give back.
call_hook libvirt-release-after-refusal 0 vm2 "$uuid" "$E1000E_BDF" release end failed
assert_same libvirt-release-after-refusal-changes-nothing "$state_before" "$(pci_state)"
finish
