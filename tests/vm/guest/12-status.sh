# `iommugrp status` on real sysfs: what it detects about this kernel.
. /tests/guest/lib.sh
have_iommugrp status || exit 1

RULES=$(type_change_rules)
# status never writes: on 6.1 with kernel/'s series (dma_owner is optional since v3) only a
# type write tells the claim-based rules, which set-policy makes; status reads the version's.
case $RULES:$(uname -r) in claim-based:6.1.*) RULES=single-device ;; esac
if ! text=$(iommugrp status 2>&1); then
	fail status-runs "iommugrp status failed: $text"
	exit 1
fi
assert_eq status-type-change-rules "type-change rules: $RULES" "$(echo "$text" | grep '^type-change rules:')"

if ! json=$(iommugrp status --json 2>&1); then
	fail status-json-runs "iommugrp status --json failed: $json"
	exit 1
fi
assert_eq status-json-type-change-rules "$RULES" "$(echo "$json" | jq -r .type_change_rules)"
assert_eq status-json-kernel-release "$(uname -r)" "$(echo "$json" | jq -r .kernel_release)"
assert_eq status-json-iommu-active true "$(echo "$json" | jq -r .iommu_active)"
assert_eq status-json-group-count "$(all_groups | wc -l)" "$(echo "$json" | jq -r .groups)"
assert_eq status-json-iommu-units "$(ls /sys/class/iommu | tr '\n' ' ')" \
	"$(echo "$json" | jq -r '.iommu_units[]' | tr '\n' ' ')"

# The boot policy: the type every group got at boot (the guest has /boot/config-* for
# Debian kernels, as an installed system does).
if [ -f "/boot/config-$(uname -r)" ]; then
	assert_eq status-json-boot-policy "$(group_type "$(group_of "$E1000E_BDF")")" \
		"$(echo "$json" | jq -r .boot_policy)"
fi

# vfio-pci: shipped as a module, not loaded at boot (later tests load it through iommugrp).
if [ -d /sys/bus/pci/drivers/vfio-pci ]; then
	case $(echo "$json" | jq -r .vfio_pci) in
	loaded | built-in) pass status-json-vfio-pci ;;
	*) fail status-json-vfio-pci "vfio-pci is registered but status says '$(echo "$json" | jq -r .vfio_pci)'" ;;
	esac
elif find /lib/modules/"$(uname -r)" -name 'vfio-pci.ko*' 2>/dev/null | grep -q .; then
	assert_eq status-json-vfio-pci loadable "$(echo "$json" | jq -r .vfio_pci)"
fi

finish
