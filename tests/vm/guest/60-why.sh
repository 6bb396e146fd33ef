# `iommugrp why` on real kernels: the replay of pci_device_group() predicts exactly the
# kernel's groups, and names the rule and the bridge that cause each (see run_vm in
# tests/vm/lib.sh for the root ports on the expander bridge's bus 0x10). Few iommugrp runs:
# each costs seconds under TCG.
. /tests/guest/lib.sh
have_iommugrp why || exit 1

RP_ACS=0000:10:00.0 RP_NOACS=0000:10:01.0
XHCI_ACS=0000:11:00.0 XHCI_NOACS=0000:12:00.0 XHCI_MF0=0000:13:00.0 XHCI_MF1=0000:13:00.1

# assert_contains NAME NEEDLE HAYSTACK
assert_contains() {
	case $3 in *"$2"*) pass "$1" ;; *) fail "$1" "no '$2' in: $(echo "$3" | tail -n 4)" ;; esac
}
members_of() { group_members "$(group_of "$1")" | tr '\n' ' ' | sed 's/ $//'; }

# The kernel's own grouping, which the rest explains (QEMU's ports, the kernel's rules).
assert_eq why-kernel-acs-port-isolates "$XHCI_ACS" "$(members_of "$XHCI_ACS")" "group of $XHCI_ACS"
assert_eq why-kernel-no-acs-port-shares "$RP_NOACS $XHCI_NOACS" "$(members_of "$XHCI_NOACS")" \
	"group of $XHCI_NOACS"
assert_eq why-kernel-functions-share "$XHCI_MF0 $XHCI_MF1" "$(members_of "$XHCI_MF0")" \
	"group of $XHCI_MF0"

# Every group: the REASON column says "unknown (replay mismatch)" (or unreadable) where the
# replay's prediction is not the kernel's group.
list=$(iommugrp list -J -o GROUP,NAME,REASON 2>&1)
assert_eq why-replay-matches-every-group "" \
	"$(echo "$list" | jq -r '.iommugroups[] | select(.reason | startswith("unknown")) |
		"group \(.group): \(.reason)"' 2>&1)" "groups the replay does not explain"
assert_eq why-list-covers-every-group "$(all_groups | wc -l)" \
	"$(echo "$list" | jq '.iommugroups | length' 2>&1)" "groups listed"

# reason_of NAME DEVICE EXPECTED: a device row's REASON (rule and the device causing it).
reason_of() {
	assert_eq "$1" "$3" "$(echo "$list" | jq -r --arg d "$2" \
		'.iommugroups[].children[]? | select(.name == $d) | .reason' 2>&1)" "REASON of $2"
}
reason_of why-no-acs-names-the-port "$XHCI_NOACS" "no-acs $RP_NOACS"
reason_of why-acs-port-isolated "$XHCI_ACS" isolated
reason_of why-dma-alias-names-the-bridge "$E1000_B_BDF" "dma-alias $BRIDGE_BDF"
reason_of why-multifunction-names-other-function "$XHCI_MF1" "multifunction $XHCI_MF0"
assert_eq why-multifunction-ich9 "multifunction $ICH9_LPC_BDF" \
	"$(echo "$list" | jq -r --argjson g "$(group_of "$ICH9_LPC_BDF")" \
		'.iommugroups[] | select(.group == $g) | .reason' 2>&1)" "REASON of the ICH9 group"

# why --json: the group's rule and cause, ACS read from extended config space (as root).
json=$(iommugrp why --json "$XHCI_NOACS" 2>&1)
assert_eq why-json-rule-and-cause "match no-acs $RP_NOACS" \
	"$(echo "$json" | jq -r '.why | "\(.replay) \(.rule) \(.cause)"' 2>&1)" "replay, rule, cause"
assert_eq why-json-port-without-acs "root port 4096 true false" \
	"$(echo "$json" | jq -r --arg d "$RP_NOACS" '.why.devices[] | select(.name == $d) |
		"\(.port_type) \(.config_read) \(.acs.readable) \(.acs.present)"' 2>&1)" "$RP_NOACS"
# Interrupt remapping is on (intel-iommu,intremap=on): nothing to warn about.
assert_eq why-irq-remapping-on on "$(echo "$json" | jq -r .why.irq_remapping)" "irq_remapping"

out=$(iommugrp why "$XHCI_NOACS" 2>&1)
assert_contains why-text-names-port-without-acs \
	"the root port $RP_NOACS has no ACS capability, so every device below it is in one group" "$out"
assert_contains why-text-suggests-acs-slot "a card in a slot below a port with ACS" "$out"
out=$(iommugrp why "$XHCI_ACS" 2>&1)
assert_contains why-text-shows-acs-bits "$RP_ACS  root port; ACS capability: SV" "$out"
out=$(iommugrp why "$E1000_A_BDF" 2>&1)
assert_contains why-text-names-alias-bridge "behind the PCIe-to-PCI bridge $BRIDGE_BDF" "$out"
assert_contains why-text-alias-cannot-split "nothing short of different hardware" "$out"

out=$(iommugrp show "$XHCI_NOACS" 2>&1)
assert_contains why-show-reason-line "reason:  no-acs $RP_NOACS" "$out"

finish
