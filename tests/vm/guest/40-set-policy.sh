# iommugrp set-policy on the real kernel: every row of the notes' table through iommugrp,
# each ending with the drivers bound as before and DMA working.
. /tests/guest/ops-lib.sh
have_iommugrp set-policy || exit 1

RULES=$(type_change_rules)
single=$(group_of "$E1000E_BDF")
multi=$(group_of "$BRIDGE_BDF")
boot_type=$(group_type "$single")
state_before=$(pci_state)

assert_unchanged() { assert_same "$1" "$state_before" "$(pci_state)"; }

# -- refusals and plans change nothing
run_ig set-policy-needs-unbind-permission 4 set-policy "$single" identity
assert_contains set-policy-refusal-names-driver e1000e "$OUT"
run_ig set-policy-dry-run 0 set-policy --dry-run "$single" identity
assert_contains set-policy-dry-run-shows-unbind "/sys/bus/pci/drivers/e1000e/unbind" "$OUT"
assert_contains set-policy-dry-run-shows-type "/sys/kernel/iommu_groups/$single/type" "$OUT"
run_ig set-policy-current-policy-is-noop 0 set-policy "$single" "$boot_type"
assert_contains set-policy-noop-says-so "nothing to do" "$OUT"
run_ig set-policy-bad-policy 2 set-policy "$single" bogus
run_ig set-policy-unknown-group 3 set-policy 999 identity
assert_unchanged set-policy-refusals-change-nothing

# -- single-device group: identity, DMA, DMA-FQ, auto, each with the driver bound again
for policy in identity DMA DMA-FQ auto; do
	expect=$policy
	[ "$policy" = auto ] && expect=$boot_type
	run_ig "set-policy-single-$policy" 0 set-policy --unbind "$single" "$policy"
	assert_eq "set-policy-single-$policy-type" "$expect" "$(group_type "$single")" "type"
	assert_eq "set-policy-single-$policy-driver-back" e1000e "$(driver_of "$E1000E_BDF")" "driver"
	assert_frames_move "set-policy-single-$policy-dma-works"
done
assert_unchanged set-policy-single-cycle-ends-as-found

# -- DMA -> DMA-FQ is done live: no unbind step at all
run_ig set-policy-to-dma 0 set-policy --unbind "$single" DMA
run_ig set-policy-dma-to-dma-fq-live 0 set-policy --json "$single" DMA-FQ
assert_eq set-policy-live-path-has-no-unbind "write-type" \
	"$(echo "$OUT" | jq -r '[.steps[].action] | join(",")')" "steps"
assert_eq set-policy-live-path-result DMA-FQ "$(group_type "$single")" "type"
run_ig set-policy-back-to-boot-type 0 set-policy --unbind "$single" "$boot_type"

# -- JSON result for scripts
run_ig set-policy-json 0 set-policy --json --unbind "$single" identity
assert_eq set-policy-json-outcome "done identity $boot_type" \
	"$(echo "$OUT" | jq -r '"\(.outcome) \(.new_type) \(.old_type)"')" "outcome new old"
run_ig set-policy-json-back 0 set-policy --unbind "$single" auto

# -- multi-device group behind the bridge
case $RULES in
single-device)
	run_ig set-policy-multi-refused-on-single-device-kernels 4 set-policy --unbind "$multi" identity
	assert_contains set-policy-multi-refusal-explains "single-device groups" "$OUT"
	;;
claim-based)
	run_ig set-policy-multi-identity 0 set-policy --unbind "$multi" identity
	assert_eq set-policy-multi-identity-type identity "$(group_type "$multi")" "type"
	assert_eq set-policy-multi-drivers-back "e1000 e1000" \
		"$(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" "drivers"
	assert_frames_move set-policy-multi-identity-dma-works
	run_ig set-policy-multi-back 0 set-policy --unbind "$multi" "$boot_type"
	assert_frames_move set-policy-multi-back-dma-works
	;;
esac
assert_unchanged set-policy-multi-ends-as-found

# -- a failure mid-way is rolled back: the rebind (step 3) fails, by the test hook
with_fault fail-step=3 run_ig set-policy-failed-rebind-rolls-back 5 set-policy --unbind "$single" identity
assert_contains set-policy-rollback-says-so "rolled back" "$OUT"
assert_eq set-policy-rollback-restores-type "$boot_type" "$(group_type "$single")" "type"
assert_eq set-policy-rollback-restores-driver e1000e "$(driver_of "$E1000E_BDF")" "driver"
assert_frames_move set-policy-after-rollback-dma-works
with_fault fail-step=2 run_ig set-policy-failed-type-write-rolls-back 5 set-policy --unbind "$single" DMA
# -- a type write the kernel takes but turns into another type (as DMA-FQ can become DMA):
# the preload writes DMA where identity was asked; the check fails, and the type written is
# undone too (issue 11.1: it used to stay DMA after "rolled back")
with_fault written-wrong=2 run_ig set-policy-written-then-failed-rolls-back 5 set-policy --unbind "$single" identity
assert_contains set-policy-written-then-failed-says-why "now reads 'DMA'" "$OUT"
assert_eq set-policy-written-then-failed-restores-type "$boot_type" "$(group_type "$single")" "type"
assert_eq set-policy-written-then-failed-restores-driver e1000e "$(driver_of "$E1000E_BDF")" "driver"
no_journal_left set-policy-written-then-failed-leaves-no-journal
assert_unchanged set-policy-rollbacks-end-as-found

# -- another iommugrp holds the group's lock: refused, nothing changed
if command -v flock >/dev/null; then
	mkdir -p /run/iommugrp
	flock /run/iommugrp/group-"$single".lock sleep 5 &
	holder=$!
	wait_until 20 sh -c "! flock -n /run/iommugrp/group-$single.lock true"
	run_ig set-policy-locked-group-refused 4 set-policy --unbind "$single" identity
	assert_contains set-policy-lock-explains "another iommugrp process" "$OUT"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
fi

no_journal_left set-policy-leaves-no-journal
assert_unchanged set-policy-ends-as-found
finish
