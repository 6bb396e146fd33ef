/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The boot-settings parsers (lib/parse.c): a kernel command line (iommu=pt, iommu.strict=...,
 * intel_iommu=..., amd_iommu=...) and a kernel config file (CONFIG_IOMMU_DEFAULT_*). Each setting
 * is -1, 0 or 1, and its source names a token of the input, NUL-terminated in its buffer.
 */
#include "fuzz.h"
#include "internal.h"

static void check(const struct boot_setting *s)
{
	FUZZ_ASSERT(s->passthrough >= -1 && s->passthrough <= 1);
	FUZZ_ASSERT(s->strict >= -1 && s->strict <= 1);
	FUZZ_ASSERT(memchr(s->passthrough_source, '\0', sizeof(s->passthrough_source)));
	FUZZ_ASSERT(memchr(s->strict_source, '\0', sizeof(s->strict_source)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_setting s = { -1, -1, "", "" };
	char *text;

	if (size == 0)
		return 0;
	text = fuzz_text(data + 1, size - 1);
	if (data[0] & 1)
		parse_kernel_config(text, &s);
	else
		parse_boot_cmdline(text, &s);
	check(&s);
	free(text);
	return 0;
}
