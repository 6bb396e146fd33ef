/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers: paths, numbers, reserved regions, PCI addresses, versions, boot settings, policies. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"
#include "../shared/cmdline.h"
#include "unit.h"

static void test_path_resolve_link(void)
{
	char *p = NULL;

	CHECK_INT(path_resolve_link("sys/kernel/iommu_groups/3/devices",
				    "../../../../devices/pci0000:00/0000:00:02.0", &p),
		  0);
	CHECK_STR(p, "sys/devices/pci0000:00/0000:00:02.0");
	free(p);
	CHECK_INT(path_resolve_link("a/b", "./c/./d//e", &p), 0);
	CHECK_STR(p, "a/b/c/d/e");
	free(p);
	CHECK_INT(path_resolve_link("a/b", "/sys/bus/pci", &p), 0);
	CHECK_STR(p, "sys/bus/pci");
	free(p);
	CHECK_INT(path_resolve_link("a", "../../etc", &p), -EINVAL);
}

static void test_parse_hex_u32(void)
{
	uint32_t v = 0;

	CHECK_INT(parse_hex_u32("0x8086", 0xffff, &v), 0);
	CHECK_INT(v, 0x8086);
	CHECK_INT(parse_hex_u32("10D3", 0xffff, &v), 0);
	CHECK_INT(v, 0x10d3);
	CHECK_INT(parse_hex_u32("0x020000", 0xffffff, &v), 0);
	CHECK_INT(v, 0x020000);
	CHECK_INT(parse_hex_u32("0x10000", 0xffff, &v), -ERANGE);
	CHECK_INT(parse_hex_u32("0x", 0xffff, &v), -EINVAL);
	CHECK_INT(parse_hex_u32("", 0xffff, &v), -EINVAL);
	CHECK_INT(parse_hex_u32("0xzz", 0xffff, &v), -EINVAL);
	CHECK_INT(parse_hex_u32("0x8086 ", 0xffff, &v), -EINVAL);
	CHECK_INT(parse_hex_u32("0x123456789", 0xffffffff, &v), -EINVAL);
}

static void test_parse_uint(void)
{
	unsigned int v = 0;

	CHECK_INT(parse_uint("10", &v), 0);
	CHECK_INT(v, 10);
	CHECK_INT(parse_uint("", &v), -EINVAL);
	CHECK_INT(parse_uint("-1", &v), -EINVAL);
	CHECK_INT(parse_uint("3a", &v), -EINVAL);
	CHECK_INT(parse_uint("99999999999", &v), -ERANGE);
}

static void test_parse_region_line(void)
{
	struct iommugrp_region r;

	CHECK_INT(parse_region_line("0x00000000fee00000 0x00000000feefffff msi", &r), 0);
	CHECK(r.start == 0xfee00000 && r.end == 0xfeefffff && r.type == IOMMUGRP_REGION_MSI);
	CHECK_INT(parse_region_line("0x000000007b800000 0x000000007fffffff direct", &r), 0);
	CHECK_INT(r.type, IOMMUGRP_REGION_DIRECT);
	CHECK_INT(parse_region_line("0x0 0x1 direct-relaxable", &r), 0);
	CHECK_INT(r.type, IOMMUGRP_REGION_DIRECT_RELAXABLE);
	CHECK_INT(parse_region_line("0xfd00000000 0xffffffffff reserved", &r), 0);
	CHECK_INT(r.type, IOMMUGRP_REGION_RESERVED);
	CHECK_INT(parse_region_line("0x10 0x0f msi", &r), -EINVAL);	/* end < start */
	CHECK_INT(parse_region_line("0x0 0x1", &r), -EINVAL);		/* too few fields */
	CHECK_INT(parse_region_line("0x0 0x1 msi extra", &r), -EINVAL); /* too many */
	CHECK_INT(parse_region_line("zz 0x1 msi", &r), -EINVAL);	/* not hex */
	CHECK_INT(parse_region_line("0x0 0x1 bogus", &r), -EINVAL);	/* unknown type */
	CHECK_INT(parse_region_line("0x00000000000000000 0x1 msi", &r), -EINVAL); /* > 64 bit */
}

static void test_parse_regions(void)
{
	struct iommugrp_region *regions = NULL;
	unsigned int bad = 0;
	size_t n = 0;

	CHECK_INT(parse_regions("", &regions, &n, &bad), 0);
	CHECK_INT(n, 0);
	free(regions);
	CHECK_INT(parse_regions("0x0 0xfff direct\n0x00000000fee00000 0x00000000feefffff msi\n",
				&regions, &n, &bad),
		  0);
	CHECK_INT(n, 2);
	CHECK_INT(regions[1].type, IOMMUGRP_REGION_MSI);
	free(regions);
	regions = NULL;
	CHECK_INT(parse_regions("garbage\n0x0 0xfff direct\nmore garbage\n", &regions, &n, &bad),
		  -EBADMSG);
	CHECK_INT(bad, 1);
	CHECK_INT(n, 1); /* the good line survives the bad ones */
	CHECK_INT(regions[0].type, IOMMUGRP_REGION_DIRECT);
	free(regions);
	CHECK_STR(nth_line("a\nbb\nccc", 3), "ccc");
}

/* A valid line is valid at any length: a 256-byte line buffer called padded lines bad. */
static void test_parse_regions_long_line(void)
{
	struct iommugrp_region *regions = NULL;
	unsigned int bad = 0;
	size_t n = 0;
	char text[1024];

	snprintf(text, sizeof(text), "0x00000000fee00000%600s0x00000000feefffff msi\n", "");
	CHECK_INT(parse_regions(text, &regions, &n, &bad), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(regions[0].type, IOMMUGRP_REGION_MSI);
	free(regions);
}

static void test_parse_pci_address(void)
{
	char a[PCI_ADDRESS_MAX];

	CHECK_INT(parse_pci_address("0000:01:00.0", a), 0);
	CHECK_STR(a, "0000:01:00.0");
	CHECK_INT(parse_pci_address("01:00.0", a), 0);
	CHECK_STR(a, "0000:01:00.0");
	CHECK_INT(parse_pci_address("1:2.3", a), 0);
	CHECK_STR(a, "0000:01:02.3");
	CHECK_INT(parse_pci_address("0000:0A:1F.7", a), 0);
	CHECK_STR(a, "0000:0a:1f.7");
	CHECK_INT(parse_pci_address("10000:00:00.0", a), 0);
	CHECK_STR(a, "10000:00:00.0");
	CHECK_INT(parse_pci_address("00:20.0", a), -EINVAL); /* device > 0x1f */
	CHECK_INT(parse_pci_address("00:00.8", a), -EINVAL); /* function > 7 */
	CHECK_INT(parse_pci_address("00:00", a), -EINVAL);
	CHECK_INT(parse_pci_address("0:0:0:0.0", a), -EINVAL);
	CHECK_INT(parse_pci_address("000:100:00.0", a), -EINVAL);
	CHECK(looks_like_pci_address("01:00.9"));
	CHECK(!looks_like_pci_address("AMDI0010:00x"));
	CHECK(!looks_like_pci_address("12"));
}

static void test_group_types(void)
{
	CHECK(is_known_group_type("DMA-FQ"));
	CHECK(is_known_group_type("identity"));
	CHECK(is_known_group_type("unknown"));
	CHECK(!is_known_group_type(""));
	CHECK(!is_known_group_type("dma"));
}

static void test_kernel_version(void)
{
	unsigned int major = 0, minor = 0;

	CHECK_INT(parse_kernel_version("6.1.0-27-amd64", &major, &minor), 0);
	CHECK(major == 6 && minor == 1);
	CHECK_INT(parse_kernel_version("6.12.38+deb12-amd64", &major, &minor), 0);
	CHECK(major == 6 && minor == 12);
	CHECK_INT(parse_kernel_version("garbage", &major, &minor), -EINVAL);
}

static struct boot_setting boot(const char *cmdline, const char *config)
{
	struct boot_setting s = { .passthrough = -1, .strict = -1 };

	parse_boot_cmdline(cmdline, &s);
	if (config)
		parse_kernel_config(config, &s);
	return s;
}

static void test_boot_settings(void)
{
	struct boot_setting s;

	s = boot("ro quiet iommu=pt", NULL);
	CHECK_INT(s.passthrough, 1);
	CHECK_STR(s.passthrough_source, "iommu=pt");
	s = boot("iommu.passthrough=1 iommu.passthrough=0 iommu.strict=0", NULL);
	CHECK_INT(s.passthrough, 0);
	CHECK_INT(s.strict, 0);
	s = boot("intel_iommu=on,strict", NULL);
	CHECK_INT(s.strict, 1);
	s = boot("amd_iommu=fullflush", NULL);
	CHECK_INT(s.strict, 1);
	s = boot("iommu.strict=banana", NULL);
	CHECK_INT(s.strict, -1);
	s = boot("console=ttyS0", "# c\nCONFIG_IOMMU_DEFAULT_DMA_LAZY=y\n");
	CHECK_INT(s.passthrough, 0);
	CHECK_INT(s.strict, 0);
	CHECK_STR(s.strict_source, "CONFIG_IOMMU_DEFAULT_DMA_LAZY=y");
	s = boot("iommu.strict=1", "CONFIG_IOMMU_DEFAULT_DMA_LAZY=y\n");
	CHECK_INT(s.strict, 1);
	s = boot("", "# CONFIG_IOMMU_DEFAULT_DMA_LAZY=y is not set\n");
	CHECK_INT(s.strict, -1);
}

/* shared/cmdline.h: the one reader of /proc/cmdline (the library's and the boot pass's). */
static void test_cmdline(void)
{
	const char *line = "BOOT_IMAGE=/vmlinuz ro\tquiet  intremap=on intremap=off flag "
			   "iommugrp.disable=1x iommugrp.disable=1\n";
	struct cmdline_param p;
	const char *pos = line;
	int words = 0;

	while (cmdline_next(&pos, &p))
		words++;
	CHECK_INT(words, 8);
	CHECK(cmdline_find(line, "intremap", &p));
	CHECK_INT(p.value_len, 3);
	CHECK(strncmp(p.value, "off", 3) == 0);
	CHECK(!cmdline_find(line, "flag", &p)); /* a bare word sets no value */
	CHECK(!cmdline_find(line, "intremap=", &p));
	CHECK(!cmdline_find(line, "remap", &p));
	CHECK(cmdline_has(line, "iommugrp.disable", "1"));
	CHECK(!cmdline_has("iommugrp.disable=1x", "iommugrp.disable", "1"));
	CHECK(!cmdline_has("iommugrp.disable=1 iommugrp.disable=0", "iommugrp.disable", "1"));
	CHECK(cmdline_has("quiet\tiommugrp.disable=1", "iommugrp.disable", "1"));
	CHECK(!cmdline_find("", "ro", &p));
	CHECK(!cmdline_find(" \n", "ro", &p));
}

static void test_policies(void)
{
	enum iommugrp_policy p;

	CHECK_INT(iommugrp_policy_from_string("passthrough", &p), 0);
	CHECK_INT(p, IOMMUGRP_POLICY_IDENTITY);
	CHECK_INT(iommugrp_policy_from_string("dma-fq", &p), 0);
	CHECK_INT(p, IOMMUGRP_POLICY_DMA_FQ);
	CHECK_INT(iommugrp_policy_from_string("STRICT", &p), 0);
	CHECK_INT(p, IOMMUGRP_POLICY_DMA);
	CHECK_INT(iommugrp_policy_from_string("default", &p), 0);
	CHECK_INT(p, IOMMUGRP_POLICY_AUTO);
	CHECK_INT(iommugrp_policy_from_string("bogus", &p), -EINVAL);
	CHECK_INT(iommugrp_policy_from_string("", &p), -EINVAL);
	CHECK_STR(iommugrp_policy_to_string(IOMMUGRP_POLICY_DMA_FQ), "DMA-FQ");
	CHECK_STR(iommugrp_policy_to_string((enum iommugrp_policy)42), NULL);
}

static void test_driver_manages_dma(void)
{
	CHECK(iommugrp_driver_manages_dma("vfio-pci"));
	CHECK(iommugrp_driver_manages_dma("mlx5_vfio_pci"));
	CHECK(iommugrp_driver_manages_dma("pci-stub"));
	CHECK(iommugrp_driver_manages_dma("pcieport"));
	CHECK(!iommugrp_driver_manages_dma("e1000e"));
	CHECK(!iommugrp_driver_manages_dma(NULL));
}

/* /proc/locks: a held flock on the device and inode, not a waiter's line, not a POSIX lock. */
static void test_proc_locks(void)
{
	static const char locks[] = "1: POSIX  ADVISORY  WRITE 812 fe:00:42 0 EOF\n"
				    "2: FLOCK  ADVISORY  WRITE 900 08:01:42 0 EOF\n"
				    "2: -> FLOCK  ADVISORY  WRITE 901 fe:00:43 0 EOF\n"
				    "3: FLOCK  ADVISORY  WRITE 24530 fe:00:10953173 0 EOF\n";

	CHECK(proc_locks_has_flock(locks, 0xfe, 0, 10953173));
	CHECK(proc_locks_has_flock(locks, 8, 1, 42));
	CHECK(!proc_locks_has_flock(locks, 0xfe, 0, 42)); /* POSIX */
	CHECK(!proc_locks_has_flock(locks, 0xfe, 0, 43)); /* a waiter */
	CHECK(!proc_locks_has_flock("", 0xfe, 0, 10953173));
	CHECK(!proc_locks_has_flock(NULL, 0xfe, 0, 10953173));
}

int main(void)
{
	RUN(test_proc_locks);
	RUN(test_path_resolve_link);
	RUN(test_parse_hex_u32);
	RUN(test_parse_uint);
	RUN(test_parse_region_line);
	RUN(test_parse_regions);
	RUN(test_parse_regions_long_line);
	RUN(test_parse_pci_address);
	RUN(test_group_types);
	RUN(test_kernel_version);
	RUN(test_boot_settings);
	RUN(test_cmdline);
	RUN(test_policies);
	RUN(test_driver_manages_dma);
	return unit_summary();
}
