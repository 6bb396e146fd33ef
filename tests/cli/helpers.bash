# Shared by the CLI tests: how to call iommugrp and where the fixtures are.
export LC_ALL=C
unset NO_COLOR

# iommugrp, under $IOMMUGRP_WRAPPER when set (valgrind in make check-valgrind).
ig() {
	# shellcheck disable=SC2086
	$IOMMUGRP_WRAPPER "$IOMMUGRP" "$@"
}

# iommugrp reading fixture $1.
igf() {
	local fixture=$1
	shift
	ig --sysroot "$IOMMUGRP_FIXTURES/$fixture" "$@"
}

# Compares $output with the expected file tests/cli/expected/$1.
matches_expected() {
	local expected="$BATS_TEST_DIRNAME/expected/$1"
	if ! diff -u "$expected" <(printf '%s\n' "$output"); then
		echo "output differs from $expected" >&2
		return 1
	fi
}
