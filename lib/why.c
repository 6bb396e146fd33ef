/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Why devices share a group: the replay's answers per PCI function and per
 * group, and the kernel settings under which isolation is not what the
 * groups suggest (pcie_acs_override=, interrupt remapping off).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"
#include "../shared/cmdline.h"

EXPORT int iommugrp_topology_scan(struct iommugrp_ctx *ctx)
{
	struct topology *topo;
	int r = topology_get(ctx, &topo);

	return r < 0 ? r : (int)topo->n_pcis;
}

EXPORT struct iommugrp_pci *iommugrp_pci_next(struct iommugrp_ctx *ctx, struct iommugrp_pci *prev)
{
	struct topology *topo;
	size_t i = 0;

	if (topology_get(ctx, &topo) < 0)
		return NULL;
	if (prev)
		i = prev->index + 1;
	return i < topo->n_pcis ? topo->pcis[i] : NULL;
}

EXPORT struct iommugrp_pci *iommugrp_pci_lookup(struct iommugrp_ctx *ctx, const char *name)
{
	char canonical[PCI_ADDRESS_MAX];
	struct topology *topo;

	if (parse_pci_address(name, canonical) < 0 || topology_get(ctx, &topo) < 0)
		return NULL;
	return topology_find(topo, canonical);
}

/* A member's function in the topology its group needs (the whole one once scanned). */
EXPORT struct iommugrp_pci *iommugrp_device_get_pci(struct iommugrp_device *device)
{
	struct topology *topo;

	if (!iommugrp_device_is_pci(device) || topology_get_for_group(device->group, &topo) < 0)
		return NULL;
	return topology_find(topo, device->name);
}

EXPORT const char *iommugrp_pci_get_name(const struct iommugrp_pci *pci)
{
	return pci->name;
}

EXPORT struct iommugrp_pci *iommugrp_pci_get_upstream(const struct iommugrp_pci *pci)
{
	return pci->upstream;
}

EXPORT int iommugrp_pci_get_group_number(const struct iommugrp_pci *pci, unsigned int *ret_number)
{
	if (!pci->has_group)
		return -ENOENT;
	*ret_number = pci->group;
	return 0;
}

EXPORT void iommugrp_pci_get_config_size(const struct iommugrp_pci *pci, unsigned int *ret_read,
					 unsigned int *ret_size)
{
	*ret_read = pci->config_read;
	*ret_size = pci->config_size;
}

EXPORT int iommugrp_pci_get_ids(const struct iommugrp_pci *pci, uint16_t *ret_vendor,
				uint16_t *ret_device)
{
	if (pci->config_err || pci->config_read < 64)
		return pci->config_err ? pci->config_err : -EBADMSG;
	*ret_vendor = pci->vendor;
	*ret_device = pci->device;
	return 0;
}

EXPORT enum iommugrp_pcie_type iommugrp_pci_get_pcie_type(const struct iommugrp_pci *pci)
{
	return pci->config_err ? IOMMUGRP_PCIE_UNKNOWN : (enum iommugrp_pcie_type)pci->pcie_type;
}

EXPORT const char *iommugrp_pcie_type_to_string(enum iommugrp_pcie_type type)
{
	switch (type) {
	case IOMMUGRP_PCIE_UNKNOWN:
		return "unknown";
	case IOMMUGRP_PCIE_NONE:
		return "conventional PCI";
	case IOMMUGRP_PCIE_ENDPOINT:
		return "PCIe endpoint";
	case IOMMUGRP_PCIE_LEGACY_ENDPOINT:
		return "legacy PCIe endpoint";
	case IOMMUGRP_PCIE_ROOT_PORT:
		return "root port";
	case IOMMUGRP_PCIE_UPSTREAM_PORT:
		return "switch upstream port";
	case IOMMUGRP_PCIE_DOWNSTREAM_PORT:
		return "switch downstream port";
	case IOMMUGRP_PCIE_TO_PCI_BRIDGE:
		return "PCIe-to-PCI bridge";
	case IOMMUGRP_PCI_TO_PCIE_BRIDGE:
		return "PCI-to-PCIe bridge";
	case IOMMUGRP_PCIE_RC_ENDPOINT:
		return "root complex integrated endpoint";
	case IOMMUGRP_PCIE_RC_EVENT_COLLECTOR:
		return "root complex event collector";
	}
	return "reserved PCIe type";
}

EXPORT bool iommugrp_pci_is_multifunction(const struct iommugrp_pci *pci)
{
	return pci->multifunction;
}

EXPORT int iommugrp_pci_get_acs(const struct iommugrp_pci *pci, uint16_t *ret_cap,
				uint16_t *ret_ctrl)
{
	if (pci->config_err || pci->pcie_type == IOMMUGRP_PCIE_UNKNOWN || pci->ext_unreadable)
		return -EACCES;
	if (!pci->acs_pos)
		return -ENODATA;
	*ret_cap = pci->acs_cap;
	*ret_ctrl = pci->acs_ctrl;
	return 0;
}

EXPORT int iommugrp_pci_acs_isolates(const struct iommugrp_pci *pci, const char **ret_quirk)
{
	if (ret_quirk)
		*ret_quirk = pci->quirk ? pci->quirk->name : NULL;
	return pci->acs_verdict == TRI_UNKNOWN ? -ENODATA : pci->acs_verdict;
}

EXPORT const char *iommugrp_pci_get_alias_quirk(const struct iommugrp_pci *pci)
{
	const char *name = NULL;

	return dma_alias_quirk_devfn(pci, &name) >= 0 ? name : NULL;
}

/* Disagreeing or uncertain replays explain nothing: their reason is unknown. */
EXPORT enum iommugrp_reason iommugrp_pci_get_reason(const struct iommugrp_pci *pci,
						    struct iommugrp_pci **ret_cause)
{
	struct iommugrp_pci *p = (struct iommugrp_pci *)pci;

	if (ret_cause)
		*ret_cause = NULL;
	if (pci->uncertain || !topology_device_agrees(pci->topo, p))
		return IOMMUGRP_REASON_UNKNOWN;
	if (ret_cause)
		*ret_cause = pci->cause;
	return pci->reason;
}

EXPORT bool iommugrp_pci_predicted_together(const struct iommugrp_pci *a,
					    const struct iommugrp_pci *b)
{
	return topology_same_class((struct iommugrp_pci *)a, (struct iommugrp_pci *)b);
}

EXPORT const char *iommugrp_reason_to_string(enum iommugrp_reason reason)
{
	switch (reason) {
	case IOMMUGRP_REASON_UNKNOWN:
		return "unknown";
	case IOMMUGRP_REASON_ISOLATED:
		return "isolated";
	case IOMMUGRP_REASON_DMA_ALIAS:
		return "dma-alias";
	case IOMMUGRP_REASON_ALIAS_BRIDGE:
		return "alias-bridge";
	case IOMMUGRP_REASON_NO_ACS:
		return "no-acs";
	case IOMMUGRP_REASON_MULTIFUNCTION:
		return "multifunction";
	case IOMMUGRP_REASON_QUIRK_ALIAS:
		return "quirk-alias";
	case IOMMUGRP_REASON_NOT_PCI:
		return "not-pci";
	}
	return NULL;
}

EXPORT const char *iommugrp_replay_to_string(enum iommugrp_replay replay)
{
	switch (replay) {
	case IOMMUGRP_REPLAY_MATCH:
		return "match";
	case IOMMUGRP_REPLAY_MISMATCH:
		return "mismatch";
	case IOMMUGRP_REPLAY_UNREADABLE:
		return "unreadable";
	case IOMMUGRP_REPLAY_NOT_PCI:
		return "not-pci";
	}
	return NULL;
}

EXPORT enum iommugrp_reason iommugrp_device_get_reason(struct iommugrp_device *device,
						       struct iommugrp_pci **ret_cause)
{
	struct iommugrp_pci *pci = iommugrp_device_get_pci(device);

	if (ret_cause)
		*ret_cause = NULL;
	if (!iommugrp_device_is_pci(device))
		return IOMMUGRP_REASON_NOT_PCI;
	return pci ? iommugrp_pci_get_reason(pci, ret_cause) : IOMMUGRP_REASON_UNKNOWN;
}

EXPORT enum iommugrp_replay iommugrp_group_get_replay(struct iommugrp_group *group)
{
	struct iommugrp_device *d = NULL;
	bool unreadable = false, mismatch = false;

	while ((d = iommugrp_group_device_next(group, d))) {
		struct iommugrp_pci *pci;

		if (!iommugrp_device_is_pci(d))
			return IOMMUGRP_REPLAY_NOT_PCI;
		pci = iommugrp_device_get_pci(d);
		if (!pci || pci->uncertain)
			unreadable = true;
		else if (!topology_device_agrees(pci->topo, pci))
			mismatch = true;
	}
	if (unreadable)
		return IOMMUGRP_REPLAY_UNREADABLE;
	return mismatch ? IOMMUGRP_REPLAY_MISMATCH : IOMMUGRP_REPLAY_MATCH;
}

EXPORT bool iommugrp_topology_assumed_quirk(struct iommugrp_ctx *ctx, bool *ret_isolates)
{
	struct topology *topo;

	if (topology_get(ctx, &topo) < 0 || !topo->quirk_guessed)
		return false;
	if (ret_isolates)
		*ret_isolates = topo->assume_quirk == TRI_YES;
	return true;
}

/* The value @key (without '=') last has on the command line, or NULL (none, or empty). */
static char *cmdline_value(const char *cmdline, const char *key)
{
	struct cmdline_param param;

	if (!cmdline_find(cmdline, key, &param) || param.value_len == 0)
		return NULL;
	return strndup(param.value, param.value_len);
}

EXPORT int iommugrp_kernel_get_acs_override(struct iommugrp_ctx *ctx, const char **ret_value)
{
	if (!ctx->acs_override) {
		char *cmdline = NULL, *value = NULL;

		if (sysfs_read(ctx, "proc/cmdline", &cmdline) >= 0)
			value = cmdline_value(cmdline, "pcie_acs_override");
		free(cmdline);
		ctx->acs_override = value ? value : strdup("");
		if (!ctx->acs_override)
			return -ENOMEM;
	}
	if (!*ctx->acs_override)
		return -ENODATA;
	*ret_value = ctx->acs_override;
	return 0;
}

static enum iommugrp_irq_remapping irq_from_interrupts(const char *text, const char **ret_source)
{
	if (strstr(text, " IR-")) {
		*ret_source = "/proc/interrupts: interrupt controllers named IR-* (remapped)";
		return IOMMUGRP_IRQ_REMAPPING_ON;
	}
	if (strstr(text, "ITS-MSI")) {
		*ret_source = "/proc/interrupts: MSIs go through a GIC ITS, which isolates them";
		return IOMMUGRP_IRQ_REMAPPING_ON;
	}
	if (strstr(text, "PCI-MSI") || strstr(text, "IO-APIC")) {
		*ret_source = "/proc/interrupts: PCI-MSI/IO-APIC interrupts without IR- (not "
			      "remapped)";
		return IOMMUGRP_IRQ_REMAPPING_OFF;
	}
	return IOMMUGRP_IRQ_REMAPPING_UNKNOWN;
}

/* Intel units say in ecap bit 3 (IR) whether the hardware can remap at all: TRI_*. */
static int intel_units_can_remap(struct iommugrp_ctx *ctx)
{
	const char *const *units;
	int n = iommugrp_kernel_get_iommu_units(ctx, &units), seen = 0;

	for (int i = 0; i < n; i++) {
		char *path = strdup_printf("sys/class/iommu/%s/intel-iommu/ecap", units[i]),
		     *text = NULL;
		uint32_t ecap;

		if (path && sysfs_read(ctx, path, &text) >= 0 &&
		    parse_hex_u32(text + strlen(text) - (strlen(text) > 8 ? 8 : strlen(text)),
				  UINT32_MAX, &ecap) == 0) {
			if (ecap & 0x8) {
				free(path), free(text);
				return TRI_YES;
			}
			seen++;
		}
		free(path), free(text);
	}
	return seen > 0 ? TRI_NO : TRI_UNKNOWN;
}

static enum iommugrp_irq_remapping detect_irq_remapping(struct iommugrp_ctx *ctx,
							const char **ret_source)
{
	enum iommugrp_irq_remapping state = IOMMUGRP_IRQ_REMAPPING_UNKNOWN;
	char *text = NULL, *value;

	if (sysfs_read(ctx, "proc/cmdline", &text) >= 0) {
		value = cmdline_value(text, "intremap");
		if (value && strcmp(value, "off") == 0) {
			*ret_source = "kernel command line: intremap=off";
			state = IOMMUGRP_IRQ_REMAPPING_OFF;
		}
		free(value);
	}
	free(text);
	text = NULL;
	if (state == IOMMUGRP_IRQ_REMAPPING_UNKNOWN &&
	    sysfs_read(ctx, "proc/interrupts", &text) >= 0)
		state = irq_from_interrupts(text, ret_source);
	free(text);
	if (state != IOMMUGRP_IRQ_REMAPPING_UNKNOWN)
		return state;
	switch (intel_units_can_remap(ctx)) {
	case TRI_NO:
		*ret_source = "the Intel IOMMU units' ecap has no IR bit (no remapping hardware)";
		return IOMMUGRP_IRQ_REMAPPING_OFF;
	case TRI_YES:
		*ret_source = "the IOMMU can remap (Intel ecap IR bit), but /proc/interrupts does "
			      "not show whether the kernel does";
		break;
	}
	return state;
}

EXPORT enum iommugrp_irq_remapping iommugrp_kernel_get_irq_remapping(struct iommugrp_ctx *ctx,
								     const char **ret_source)
{
	const char *source = "no /proc/interrupts, no Intel ecap: not known";
	enum iommugrp_irq_remapping state = detect_irq_remapping(ctx, &source);

	if (ret_source)
		*ret_source = source;
	return state;
}
