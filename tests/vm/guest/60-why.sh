# `iommugrp why` on real kernels: the replay of pci_device_group() predicts exactly the
# kernel's groups, and names the rule and the bridge that cause each (see run_vm in
# tests/vm/lib.sh for the root ports on the expander bridge's bus 0x10).
. /tests/guest/lib.sh
have_iommugrp why || exit 1

RP_ACS=0000:10:00.0 RP_NOACS=0000:10:01.0 RP_MF=0000:10:02.0
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

# Every group: iommugrp's prediction is the kernel's.
bad=
for g in $(all_groups); do
	r=$(iommugrp why --json "$g" 2>&1 | jq -r .why.replay 2>&1)
	[ "$r" = match ] || bad="$bad group $g: $r;"
done
assert_eq why-replay-matches-every-group "" "$bad" "groups whose replay differs"

# why_rule NAME TARGET RULE CAUSE: the JSON names the group's rule and the device causing it.
why_rule() {
	local json
	json=$(iommugrp why --json "$2" 2>&1)
	assert_eq "$1" "$3 $4" "$(echo "$json" | jq -r '"\(.why.rule) \(.why.cause // "-")"' 2>&1)" \
		"rule and cause for $2"
}
why_rule why-no-acs-names-the-port "$XHCI_NOACS" no-acs "$RP_NOACS"
why_rule why-acs-port-isolated "$XHCI_ACS" isolated -
why_rule why-dma-alias-names-the-bridge "$E1000_B_BDF" dma-alias "$BRIDGE_BDF"
why_rule why-multifunction-pcie "$XHCI_MF1" multifunction "$XHCI_MF0"
assert_eq why-multifunction-names-other-function "multifunction $XHCI_MF0" \
	"$(iommugrp why --json "$XHCI_MF1" | jq -r --arg d "$XHCI_MF1" \
		'.why.devices[] | select(.name == $d) | "\(.reason) \(.cause)"')" "reason of $XHCI_MF1"
assert_eq why-multifunction-ich9 multifunction \
	"$(iommugrp why --json "$ICH9_LPC_BDF" | jq -r .why.rule)" "rule for the ICH9 group"

# ACS as read from the extended config space (as root: 4096 bytes).
acs=$(iommugrp why --json "$XHCI_ACS" 2>&1)
out=$(iommugrp why "$RP_ACS" 2>&1)
assert_contains why-text-shows-acs-bits "$RP_ACS  root port; ACS capability: SV" "$out"
out=$(iommugrp why "$XHCI_NOACS" 2>&1)
assert_contains why-text-names-port-without-acs \
	"the root port $RP_NOACS has no ACS capability, so every device below it is in one group" "$out"
assert_contains why-text-suggests-acs-slot "a card in a slot below a port with ACS" "$out"
out=$(iommugrp why "$E1000_A_BDF" 2>&1)
assert_contains why-text-names-alias-bridge "behind the PCIe-to-PCI bridge $BRIDGE_BDF" "$out"
assert_contains why-text-alias-cannot-split "nothing short of different hardware" "$out"

# Interrupt remapping is on (intel-iommu,intremap=on): nothing to warn about.
assert_eq why-irq-remapping-on on "$(echo "$acs" | jq -r .why.irq_remapping)" "irq_remapping"

# The REASON column and show's summary agree with why.
assert_eq why-list-reason-column "no-acs $RP_NOACS" \
	"$(iommugrp list -J -o NAME,REASON | jq -r --arg d "$XHCI_NOACS" \
		'.iommugroups[].children[] | select(.name == $d) | .reason' 2>&1)" "REASON of $XHCI_NOACS"
out=$(iommugrp show "$XHCI_NOACS" 2>&1)
assert_contains why-show-reason-line "reason:  no-acs $RP_NOACS" "$out"

finish
