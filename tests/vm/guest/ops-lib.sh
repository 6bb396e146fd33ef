# Shared by the guest tests of iommugrp's changing commands (set-policy, vfio-*, restore).
. /tests/guest/lib.sh

# pci_state: "device type driver override" for every PCI device: what an operation must
# leave as it found (or, for vfio-bind, restore on release).
pci_state() {
	local d
	for d in "$PCI_DIR"/*; do
		d=${d##*/}
		echo "$d $(group_type "$(group_of "$d")") $(driver_of "$d") $(cat "$PCI_DIR/$d/driver_override")"
	done
}

# run_ig NAME EXPECTED_STATUS ARGS...: runs iommugrp (stdin not a terminal), checks the exit
# status; its output (stdout and stderr) is left in $OUT.
run_ig() {
	local name=$1 expected=$2 status=0
	shift 2
	OUT=$(iommugrp "$@" </dev/null 2>&1) || status=$?
	if [ "$status" = "$expected" ]; then
		pass "$name"
	else
		fail "$name" "iommugrp $*: exit $status, expected $expected: $(echo "$OUT" | tail -n 4)"
	fi
}

# assert_contains NAME NEEDLE HAYSTACK
assert_contains() {
	case $3 in *"$2"*) pass "$1" ;; *) fail "$1" "no '$2' in: $(echo "$3" | tail -n 4)" ;; esac
}

# no_journal_left NAME: every operation removes its journal when it ends.
no_journal_left() {
	assert_eq "$1" "" "$(ls /run/iommugrp 2>/dev/null | grep '\.journal$')" "journals left"
}

# The test preload (tests/preload/sysfs-fake.c, shipped by build_initramfs): IOMMUGRP_FAULT.
FAULT_PRELOAD=/usr/lib/iommugrp-test/sysfs-fake.so
# with_fault MODE=N CMD...: CMD with the preload failing or falsifying write N.
with_fault() {
	local status=0
	# Exported, not prefixed: ash keeps a function's prefix assignments after it returns.
	export LD_PRELOAD=$FAULT_PRELOAD IOMMUGRP_FAULT=$1
	shift
	"$@" || status=$?
	unset LD_PRELOAD IOMMUGRP_FAULT
	return "$status"
}
