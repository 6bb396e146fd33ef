# /run/iommugrp on a real system: a symlink, a directory open to others or someone else's is
# refused before anything is written, saying why; a planted symlink as a lock file is not followed.
. /tests/guest/ops-lib.sh
have_iommugrp run-dir || exit 1

single=$(group_of "$E1000E_BDF")
state_before=$(pci_state)
assert_unchanged() { assert_same "$1" "$state_before" "$(pci_state)"; }
[ -d /run/iommugrp ] && mv /run/iommugrp /run/iommugrp.saved

mkdir -p /tmp/elsewhere
ln -s /tmp/elsewhere /run/iommugrp
run_ig run-dir-symlink-refused 4 set-policy --unbind "$single" identity
assert_contains run-dir-symlink-says-why "symbolic link" "$OUT"
assert_eq run-dir-symlink-nothing-written "" "$(ls -A /tmp/elsewhere)" "files in the link's target"
rm /run/iommugrp

mkdir -m 0777 /run/iommugrp
chmod 0777 /run/iommugrp
run_ig run-dir-mode-refused 4 set-policy --unbind "$single" identity
assert_contains run-dir-mode-says-why "mode 0777" "$OUT"
chmod 0700 /run/iommugrp
chown 4242 /run/iommugrp
run_ig run-dir-owner-refused 4 vfio-bind "$single"
assert_contains run-dir-owner-says-why "owned by uid 4242" "$OUT"
chown 0 /run/iommugrp

echo precious >/tmp/victim
ln -s /tmp/victim "/run/iommugrp/group-$single.lock"
run_ig run-dir-lock-symlink-refused 4 set-policy --unbind "$single" identity
assert_eq run-dir-lock-symlink-not-followed precious "$(cat /tmp/victim)" "the link's target"
rm -f "/run/iommugrp/group-$single.lock"
assert_unchanged run-dir-refusals-change-nothing

# -- and in a proper one it works
run_ig run-dir-proper-works 0 set-policy --unbind "$single" identity
run_ig run-dir-proper-back 0 set-policy --unbind "$single" "$(echo "$state_before" | awk -v d="$E1000E_BDF" '$1 == d {print $2}')"
assert_unchanged run-dir-ends-as-found
rm -rf /run/iommugrp
[ -d /run/iommugrp.saved ] && mv /run/iommugrp.saved /run/iommugrp
finish
