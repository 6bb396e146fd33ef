/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ACS and DMA alias quirks of drivers/pci/quirks.c (pci_dev_acs_enabled[],
 * quirk_dma_func0_alias, quirk_dma_func1_alias), identical in Debian's 6.1 and
 * 6.12. Where a quirk's result depends on state sysfs does not show (Intel PCH
 * root ports whose ACS the kernel enables through the RCBA), the verdict is
 * TRI_UNKNOWN and the replay tries both answers against the kernel's groups.
 */
#include <stdlib.h>

#include "topology.h"

#define ANY 0xffff

static bool is_type(const struct iommugrp_pci *pci, int type)
{
	return pci->pcie_type == type;
}

/* pci_acs_ctrl_enabled(REQ_ACS_FLAGS, SV|RR|CR|UF): the quirk claims isolation. */
static int claims_isolation(const struct iommugrp_pci *pci)
{
	(void)pci;
	return TRI_YES;
}

static int rciep(const struct iommugrp_pci *pci)
{
	if (pci->pcie_type == IOMMUGRP_PCIE_UNKNOWN)
		return TRI_UNKNOWN;
	return is_type(pci, IOMMUGRP_PCIE_RC_ENDPOINT) ? TRI_YES : QUIRK_NOT_APPLICABLE;
}

static int root_port_only(const struct iommugrp_pci *pci)
{
	if (pci->pcie_type == IOMMUGRP_PCIE_UNKNOWN)
		return TRI_UNKNOWN;
	return is_type(pci, IOMMUGRP_PCIE_ROOT_PORT) ? TRI_YES : QUIRK_NOT_APPLICABLE;
}

/* Needs the multi-function southbridge on the root bus and an IVRS table (AMD-Vi). */
static int amd_sb(const struct iommugrp_pci *pci)
{
	if (!pci->multifunction || pci->upstream || !pci->topo->has_ivrs)
		return QUIRK_NOT_APPLICABLE;
	return TRI_YES; /* RR and CR are all it requires of the southbridge */
}

static const uint16_t intel_pch_ids[] = {
	0x3b42, 0x3b43, 0x3b44, 0x3b45, 0x3b46, 0x3b47, 0x3b48, 0x3b49, 0x3b4a, 0x3b4b, 0x3b4c,
	0x3b4d, 0x3b4e, 0x3b4f, 0x3b50, 0x3b51, 0x1c10, 0x1c11, 0x1c12, 0x1c13, 0x1c14, 0x1c15,
	0x1c16, 0x1c17, 0x1c18, 0x1c19, 0x1c1a, 0x1c1b, 0x1c1c, 0x1c1d, 0x1c1e, 0x1c1f, 0x1e10,
	0x1e11, 0x1e12, 0x1e13, 0x1e14, 0x1e15, 0x1e16, 0x1e17, 0x1e18, 0x1e19, 0x1e1a, 0x1e1b,
	0x1e1c, 0x1e1d, 0x1e1e, 0x1e1f, 0x8c10, 0x8c11, 0x8c12, 0x8c13, 0x8c14, 0x8c15, 0x8c16,
	0x8c17, 0x8c18, 0x8c19, 0x8c1a, 0x8c1b, 0x8c1c, 0x8c1d, 0x8c1e, 0x8c1f, 0x9c10, 0x9c11,
	0x9c12, 0x9c13, 0x9c14, 0x9c15, 0x9c16, 0x9c17, 0x9c18, 0x9c19, 0x9c1a, 0x9c1b, 0x9c90,
	0x9c91, 0x9c92, 0x9c93, 0x9c94, 0x9c95, 0x9c96, 0x9c97, 0x9c98, 0x9c99, 0x9c9a, 0x9c9b,
	0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e, 0x8d10, 0x8d11, 0x8d12,
	0x8d13, 0x8d14, 0x8d15, 0x8d16, 0x8d17, 0x8d18, 0x8d19, 0x8d1a, 0x8d1b, 0x8d1c, 0x8d1d,
	0x8d1e, 0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e,
};

/* Isolated only if the kernel could enable ACS through the chipset's RCBA: not in sysfs. */
static int intel_pch(const struct iommugrp_pci *pci)
{
	if (pci->pcie_type == IOMMUGRP_PCIE_UNKNOWN)
		return TRI_UNKNOWN;
	if (!is_type(pci, IOMMUGRP_PCIE_ROOT_PORT))
		return QUIRK_NOT_APPLICABLE;
	for (size_t i = 0; i < ARRAY_SIZE(intel_pch_ids); i++)
		if (intel_pch_ids[i] == pci->device)
			return TRI_UNKNOWN;
	return QUIRK_NOT_APPLICABLE;
}

static bool in_range(uint16_t id, uint16_t lo, uint16_t hi)
{
	return id >= lo && id <= hi;
}

/* Sunrise/Union Point keep ACS control in the dword after the capability word. */
static int intel_spt_pch(const struct iommugrp_pci *pci)
{
	uint16_t d = pci->device, flags = IOMMUGRP_ACS_REQUIRED;

	if (pci->pcie_type == IOMMUGRP_PCIE_UNKNOWN)
		return TRI_UNKNOWN;
	if (!is_type(pci, IOMMUGRP_PCIE_ROOT_PORT) || !pci->acs_pos)
		return QUIRK_NOT_APPLICABLE;
	if (!(in_range(d, 0xa110, 0xa11f) || in_range(d, 0xa167, 0xa16a) ||
	      in_range(d, 0xa290, 0xa29f) || in_range(d, 0xa2e7, 0xa2ee) ||
	      in_range(d, 0x9d10, 0x9d1b)))
		return QUIRK_NOT_APPLICABLE;
	flags &= pci->acs_cap | IOMMUGRP_ACS_EC;
	return (pci->acs_ctrl32 & flags) == flags ? TRI_YES : TRI_NO;
}

static int cavium(const struct iommugrp_pci *pci)
{
	uint16_t d = pci->device;

	if (root_port_only(pci) != TRI_YES)
		return root_port_only(pci);
	return in_range(d, 0xa000, 0xa7ff) || d == 0xaf84 || d == 0xb884 ? TRI_YES
									 : QUIRK_NOT_APPLICABLE;
}

/* Claims isolation for its listed ports, and returns "not isolated" for every other port. */
static int zhaoxin_ports(const struct iommugrp_pci *pci)
{
	uint16_t d = pci->device;

	if (pci->pcie_type == IOMMUGRP_PCIE_UNKNOWN)
		return TRI_UNKNOWN;
	if (!is_type(pci, IOMMUGRP_PCIE_ROOT_PORT) && !is_type(pci, IOMMUGRP_PCIE_DOWNSTREAM_PORT))
		return QUIRK_NOT_APPLICABLE;
	return in_range(d, 0x0710, 0x071e) || d == 0x0721 || in_range(d, 0x0723, 0x0752) ? TRI_YES
											 : TRI_NO;
}

/* Its device list is long and changes between releases: not replayed. */
static int wangxun(const struct iommugrp_pci *pci)
{
	return pci->multifunction ? TRI_UNKNOWN : QUIRK_NOT_APPLICABLE;
}

#define MF(v, d)                                                                                   \
	{                                                                                          \
		v, d, "pci_quirk_mf_endpoint_acs", claims_isolation                                \
	}
static const struct acs_quirk acs_quirks[] = {
	{ 0x1002, 0x4385, "pci_quirk_amd_sb_acs", amd_sb },
	{ 0x1002, 0x439c, "pci_quirk_amd_sb_acs", amd_sb },
	{ 0x1002, 0x4383, "pci_quirk_amd_sb_acs", amd_sb },
	{ 0x1002, 0x439d, "pci_quirk_amd_sb_acs", amd_sb },
	{ 0x1002, 0x4384, "pci_quirk_amd_sb_acs", amd_sb },
	{ 0x1002, 0x4399, "pci_quirk_amd_sb_acs", amd_sb },
	{ 0x1022, 0x780f, "pci_quirk_amd_sb_acs", amd_sb },
	{ 0x1022, 0x7809, "pci_quirk_amd_sb_acs", amd_sb },
	MF(0x1924, 0x0903),
	MF(0x1924, 0x0923),
	MF(0x1924, 0x0a03),
	MF(0x8086, 0x10c6),
	MF(0x8086, 0x10db),
	MF(0x8086, 0x10dd),
	MF(0x8086, 0x10e1),
	MF(0x8086, 0x10f1),
	MF(0x8086, 0x10f7),
	MF(0x8086, 0x10f8),
	MF(0x8086, 0x10f9),
	MF(0x8086, 0x10fa),
	MF(0x8086, 0x10fb),
	MF(0x8086, 0x10fc),
	MF(0x8086, 0x1507),
	MF(0x8086, 0x1514),
	MF(0x8086, 0x151c),
	MF(0x8086, 0x1529),
	MF(0x8086, 0x152a),
	MF(0x8086, 0x154d),
	MF(0x8086, 0x154f),
	MF(0x8086, 0x1551),
	MF(0x8086, 0x1558),
	MF(0x8086, 0x1509),
	MF(0x8086, 0x150e),
	MF(0x8086, 0x150f),
	MF(0x8086, 0x1510),
	MF(0x8086, 0x1511),
	MF(0x8086, 0x1516),
	MF(0x8086, 0x1527),
	MF(0x8086, 0x10c9),
	MF(0x8086, 0x10e6),
	MF(0x8086, 0x10e7),
	MF(0x8086, 0x10e8),
	MF(0x8086, 0x150a),
	MF(0x8086, 0x150d),
	MF(0x8086, 0x1518),
	MF(0x8086, 0x1526),
	MF(0x8086, 0x10a7),
	MF(0x8086, 0x10a9),
	MF(0x8086, 0x10d6),
	MF(0x8086, 0x1521),
	MF(0x8086, 0x1522),
	MF(0x8086, 0x1523),
	MF(0x8086, 0x1524),
	MF(0x8086, 0x105e),
	MF(0x8086, 0x105f),
	MF(0x8086, 0x1060),
	MF(0x8086, 0x10d9),
	MF(0x8086, 0x15b7),
	MF(0x8086, 0x15b8),
	{ 0x8086, ANY, "pci_quirk_rciep_acs", rciep },
	{ 0x17cb, 0x0400, "pci_quirk_qcom_rp_acs", claims_isolation },
	{ 0x17cb, 0x0401, "pci_quirk_qcom_rp_acs", claims_isolation },
	{ 0x17cb, 0x0115, "pci_quirk_qcom_rp_acs", claims_isolation },
	{ 0x17cb, 0x0111, "pci_quirk_qcom_rp_acs", claims_isolation },
	{ 0x17cb, 0x0120, "pci_quirk_qcom_rp_acs", claims_isolation },
	{ 0x1dbf, 0x0401, "pci_quirk_qcom_rp_acs", claims_isolation },
	{ 0x8086, ANY, "pci_quirk_intel_pch_acs", intel_pch },
	{ 0x8086, ANY, "pci_quirk_intel_spt_pch_acs", intel_spt_pch },
	MF(0x19a2, 0x0710),
	MF(0x10df, 0x0720),
	{ 0x177d, ANY, "pci_quirk_cavium_acs", cavium },
	MF(0x177d, 0xa026),
	MF(0x177d, 0xa059),
	MF(0x177d, 0xa060),
	{ 0x10e8, 0xe004, "pci_quirk_xgene_acs", claims_isolation },
	{ 0x1def, 0xe005, "pci_quirk_xgene_acs", claims_isolation },
	{ 0x1def, 0xe006, "pci_quirk_xgene_acs", claims_isolation },
	{ 0x1def, 0xe007, "pci_quirk_xgene_acs", claims_isolation },
	{ 0x1def, 0xe008, "pci_quirk_xgene_acs", claims_isolation },
	{ 0x1def, 0xe009, "pci_quirk_xgene_acs", claims_isolation },
	{ 0x1def, 0xe00a, "pci_quirk_xgene_acs", claims_isolation },
	{ 0x1def, 0xe00b, "pci_quirk_xgene_acs", claims_isolation },
	{ 0x1def, 0xe00c, "pci_quirk_xgene_acs", claims_isolation },
	MF(0x14e4, 0x16d7),
	MF(0x14e4, 0x1750),
	MF(0x14e4, 0x1751),
	MF(0x14e4, 0x1752),
	MF(0x14e4, 0x1760),
	MF(0x14e4, 0x1761),
	MF(0x14e4, 0x1762),
	MF(0x14e4, 0x1763),
	{ 0x14e4, 0xd714, "pci_quirk_brcm_acs", claims_isolation },
	{ 0x0014, 0x3c09, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x0014, 0x3c19, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x0014, 0x3c29, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x0014, 0x7a09, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x0014, 0x7a19, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x0014, 0x7a29, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x0014, 0x7a39, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x0014, 0x7a49, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x0014, 0x7a59, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x0014, 0x7a69, "pci_quirk_loongson_acs", claims_isolation },
	{ 0x1c36, 0x0031, "pci_quirk_al_acs", root_port_only },
	MF(0x1d17, 0x3038),
	MF(0x1d17, 0x3104),
	MF(0x1d17, 0x9083),
	{ 0x1957, ANY, "pci_quirk_nxp_rp_acs", NULL }, /* LX2xx0 root ports: see below */
	{ 0x1d17, ANY, "pci_quirk_zhaoxin_pcie_ports_acs", zhaoxin_ports },
	{ 0x8088, ANY, "pci_quirk_wangxun_nic_acs", wangxun },
};

/* NXP LX2 root ports: device IDs 0x8d80-0x8d9b and 0x8da0-0x8db9 in the kernel's list. */
static int nxp_rp(const struct iommugrp_pci *pci)
{
	static const uint16_t ids[] = {
		0x8d81, 0x8da1, 0x8d83, 0x8d80, 0x8da0, 0x8d82, 0x8d90, 0x8db0,
		0x8d92, 0x8d91, 0x8db1, 0x8d93, 0x8d89, 0x8da9, 0x8d8b, 0x8d88,
		0x8da8, 0x8d8a, 0x8d98, 0x8db8, 0x8d9a, 0x8d99, 0x8db9, 0x8d9b,
	};

	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		if (ids[i] == pci->device)
			return TRI_YES;
	return QUIRK_NOT_APPLICABLE;
}

/* pci_dev_specific_acs_enabled(): the first matching entry with an answer decides. */
const struct acs_quirk *acs_quirk_find(const struct iommugrp_pci *pci, int *ret_verdict)
{
	for (size_t i = 0; i < ARRAY_SIZE(acs_quirks); i++) {
		const struct acs_quirk *q = &acs_quirks[i];
		int verdict;

		if (q->vendor != pci->vendor || (q->device != ANY && q->device != pci->device))
			continue;
		verdict = q->verdict ? q->verdict(pci) : nxp_rp(pci);
		if (verdict == QUIRK_NOT_APPLICABLE)
			continue;
		*ret_verdict = verdict;
		return q;
	}
	return NULL;
}

/*
 * quirk_dma_func0_alias / quirk_dma_func1_alias: the function also issues
 * DMA as function 0 (or 1) of its slot. Returns that devfn, or -1.
 */
int dma_alias_quirk_devfn(const struct iommugrp_pci *pci, const char **ret_name)
{
	static const struct {
		uint16_t vendor, device;
		int fn;
	} aliases[] = {
		{ 0x1180, 0xe832, 0 }, { 0x1180, 0xe476, 0 }, { 0x6766, 0x3d40, 0 },
		{ 0x6766, 0x3d41, 0 }, { 0x1b4b, 0x9120, 1 }, { 0x1b4b, 0x9123, 1 },
		{ 0x1b4b, 0x9125, 1 }, { 0x1b4b, 0x9128, 1 }, { 0x1b4b, 0x9130, 1 },
		{ 0x1b4b, 0x9170, 1 }, { 0x1b4b, 0x9172, 1 }, { 0x1b4b, 0x917a, 1 },
		{ 0x1b4b, 0x9182, 1 }, { 0x1b4b, 0x9183, 1 }, { 0x1b4b, 0x91a0, 1 },
		{ 0x1b4b, 0x9215, 1 }, { 0x1b4b, 0x9220, 1 }, { 0x1b4b, 0x9230, 1 },
		{ 0x1b4b, 0x9235, 1 }, { 0x1103, 0x0642, 1 }, { 0x1103, 0x0645, 1 },
	};
	unsigned int slot = (unsigned int)strtoul(pci->name + 8, NULL, 16);

	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++) {
		if (aliases[i].vendor != pci->vendor || aliases[i].device != pci->device)
			continue;
		*ret_name = aliases[i].fn ? "quirk_dma_func1_alias" : "quirk_dma_func0_alias";
		return (int)(slot << 3 | (unsigned int)aliases[i].fn);
	}
	return -1;
}
