/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replays pci_device_group() (drivers/iommu/iommu.c, Debian 6.1 and 6.12 are
 * the same) on the topology:
 *   1. pci_for_each_dma_alias(): a conventional PCI bridge or a PCIe-to-PCI
 *      bridge above the device makes it use the bridge's requester ID: it
 *      joins the bridge's group;
 *   2. from there up, the first bridge whose path to the root bus fails
 *      pci_acs_path_enabled(SV|RR|CR|UF): it joins that bridge's group;
 *   3. else DMA alias quirks, and (get_pci_function_alias_group()) the other
 *      functions of its slot when neither it nor they pass pci_acs_enabled().
 * The kernel joins the group of an earlier-probed device; since bridges are
 * probed before what is below them and the function rule is symmetric, the
 * resulting partition is the union of these relations, whatever the order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

struct replay {
	struct topology *topo;
	struct iommugrp_pci *pci; /* the device being replayed */
};

static struct iommugrp_pci *uf_find(struct iommugrp_pci *pci)
{
	while (pci->uf_parent != pci) {
		pci->uf_parent = pci->uf_parent->uf_parent;
		pci = pci->uf_parent;
	}
	return pci;
}

static void uf_join(struct iommugrp_pci *a, struct iommugrp_pci *b)
{
	a = uf_find(a);
	b = uf_find(b);
	if (a != b)
		b->uf_parent = a;
}

/* pci_acs_flags_enabled(): capabilities not implemented count as hard-wired on. */
static int acs_flags_enabled(const struct iommugrp_pci *pci)
{
	uint16_t flags = IOMMUGRP_ACS_REQUIRED;

	if (pci->ext_unreadable)
		return TRI_UNKNOWN;
	if (!pci->acs_pos)
		return TRI_NO;
	flags &= pci->acs_cap | IOMMUGRP_ACS_EC;
	return (pci->acs_ctrl & flags) == flags ? TRI_YES : TRI_NO;
}

/* pci_acs_enabled(pdev, REQ_ACS_FLAGS), quirks first. */
static int acs_enabled(struct topology *topo, struct iommugrp_pci *pci)
{
	int verdict;

	if (pci->config_err || pci->config_read < 64)
		return TRI_UNKNOWN;
	pci->quirk = acs_quirk_find(pci, &verdict);
	if (pci->quirk) {
		if (verdict == TRI_UNKNOWN && pci->pcie_type != IOMMUGRP_PCIE_UNKNOWN) {
			topo->unknown_quirks = true;
			return topo->assume_quirk;
		}
		return verdict;
	}
	switch (pci->pcie_type) {
	case IOMMUGRP_PCIE_UNKNOWN:
		return TRI_UNKNOWN;
	case IOMMUGRP_PCIE_NONE: /* conventional PCI: a shared bus */
	case IOMMUGRP_PCI_TO_PCIE_BRIDGE:
	case IOMMUGRP_PCIE_TO_PCI_BRIDGE:
	case IOMMUGRP_PCIE_RC_EVENT_COLLECTOR:
		return TRI_NO;
	case IOMMUGRP_PCIE_ROOT_PORT:
	case IOMMUGRP_PCIE_DOWNSTREAM_PORT:
		return acs_flags_enabled(pci);
	case IOMMUGRP_PCIE_ENDPOINT:
	case IOMMUGRP_PCIE_UPSTREAM_PORT:
	case IOMMUGRP_PCIE_LEGACY_ENDPOINT:
	case IOMMUGRP_PCIE_RC_ENDPOINT:
		return pci->multifunction ? acs_flags_enabled(pci) : TRI_YES;
	}
	return TRI_YES; /* no ACS applies to single-function devices of other types */
}

/* A yes/no for the replay; an unknown answer counts as "no" and marks the device uncertain. */
static bool acs_says(struct replay *rp, struct iommugrp_pci *pci)
{
	int verdict = acs_enabled(rp->topo, pci);

	pci->acs_verdict = verdict;
	if (verdict == TRI_UNKNOWN) {
		rp->pci->uncertain = 1;
		return false;
	}
	return verdict == TRI_YES;
}

/* pci_acs_path_enabled(start, NULL): the first device up to the root that fails, or NULL. */
static struct iommugrp_pci *acs_path_failure(struct replay *rp, struct iommugrp_pci *start)
{
	for (struct iommugrp_pci *p = start; p; p = p->upstream)
		if (!acs_says(rp, p))
			return p;
	return NULL;
}

/* Does a bridge make the devices below it use its requester ID (pci_for_each_dma_alias)? */
static bool bridge_aliases(struct replay *rp, const struct iommugrp_pci *bridge)
{
	switch (bridge->pcie_type) {
	case IOMMUGRP_PCIE_UNKNOWN:
		rp->pci->uncertain = 1;
		return false;
	case IOMMUGRP_PCIE_NONE:
	case IOMMUGRP_PCIE_TO_PCI_BRIDGE:
	case IOMMUGRP_PCI_TO_PCIE_BRIDGE:
		return true;
	}
	return false;
}

static bool replay_alias(struct replay *rp)
{
	struct iommugrp_pci *pci = rp->pci, *nearest = NULL, *top = NULL;

	for (struct iommugrp_pci *b = pci->upstream; b; b = b->upstream) {
		if (!bridge_aliases(rp, b))
			continue;
		if (!nearest)
			nearest = b;
		top = b;
	}
	if (!nearest)
		return false;
	uf_join(nearest, pci);
	pci->reason = IOMMUGRP_REASON_DMA_ALIAS;
	pci->cause = top;
	pci->joined = nearest;
	return true;
}

static bool replay_acs_path(struct replay *rp)
{
	struct iommugrp_pci *pci = rp->pci;

	for (struct iommugrp_pci *b = pci->upstream; b; b = b->upstream) {
		struct iommugrp_pci *failure = acs_path_failure(rp, b);

		if (!failure)
			return false;
		uf_join(b, pci);
		pci->reason = IOMMUGRP_REASON_NO_ACS;
		pci->cause = failure;
		pci->joined = b;
		return true;
	}
	return false;
}

static bool same_bus(const struct iommugrp_pci *a, const struct iommugrp_pci *b)
{
	return a->upstream == b->upstream && strncmp(a->name, b->name, 7) == 0;
}

/* The first function of @pci's bus: functions are sorted by address, a bus is a run. */
static size_t bus_start(const struct topology *topo, const struct iommugrp_pci *pci)
{
	size_t i = pci->index;

	while (i > 0 && same_bus(pci, topo->pcis[i - 1]))
		i--;
	return i;
}

static unsigned int devfn(const struct iommugrp_pci *pci)
{
	return (unsigned int)strtoul(pci->name + 8, NULL, 16) << 3 |
	       (unsigned int)(pci->name[11] - '0');
}

/* get_pci_alias_group(): DMA alias quirks between functions on one bus. */
static bool replay_alias_quirk(struct replay *rp)
{
	struct topology *topo = rp->topo;
	struct iommugrp_pci *pci = rp->pci;
	const char *name;
	int mine = dma_alias_quirk_devfn(pci, &name);

	for (size_t i = bus_start(topo, pci); i < topo->n_pcis && same_bus(pci, topo->pcis[i]);
	     i++) {
		struct iommugrp_pci *other = topo->pcis[i];
		int theirs = dma_alias_quirk_devfn(other, &name);

		if (other == pci)
			continue;
		if ((mine >= 0 && (unsigned int)mine == devfn(other)) ||
		    (theirs >= 0 && (unsigned int)theirs == devfn(pci))) {
			uf_join(other, pci);
			pci->reason = IOMMUGRP_REASON_QUIRK_ALIAS;
			pci->cause = other;
			return true;
		}
	}
	return false;
}

/* get_pci_function_alias_group(): functions of one slot that all lack ACS. */
static bool replay_functions(struct replay *rp)
{
	struct topology *topo = rp->topo;
	struct iommugrp_pci *pci = rp->pci;
	bool joined = false;

	if (!pci->multifunction || acs_says(rp, pci))
		return false;
	for (size_t i = bus_start(topo, pci); i < topo->n_pcis && same_bus(pci, topo->pcis[i]);
	     i++) {
		struct iommugrp_pci *other = topo->pcis[i];

		if (other == pci || strncmp(pci->name, other->name, 10) != 0 || acs_says(rp, other))
			continue;
		uf_join(other, pci);
		if (!joined) {
			pci->reason = IOMMUGRP_REASON_MULTIFUNCTION;
			pci->cause = other;
		}
		joined = true;
	}
	return joined;
}

static void replay_device(struct topology *topo, struct iommugrp_pci *pci)
{
	struct replay rp = { topo, pci };

	if (pci->config_err || pci->config_read < 64)
		pci->uncertain = 1;
	acs_says(&rp, pci); /* for iommugrp_pci_acs_isolates() */
	if (replay_alias(&rp) || replay_acs_path(&rp) || replay_alias_quirk(&rp) ||
	    replay_functions(&rp))
		return;
	pci->reason = IOMMUGRP_REASON_ISOLATED;
}

/* A device others joined says why they did: it is the bridge or the port without ACS. */
static void explain_anchors(struct topology *topo)
{
	for (size_t i = 0; i < topo->n_pcis; i++) {
		struct iommugrp_pci *joiner = topo->pcis[i], *anchor = joiner->joined;

		if (!anchor || anchor->reason != IOMMUGRP_REASON_ISOLATED)
			continue;
		if (joiner->reason == IOMMUGRP_REASON_DMA_ALIAS) {
			anchor->reason = IOMMUGRP_REASON_ALIAS_BRIDGE;
			anchor->cause = anchor;
		} else if (joiner->reason == IOMMUGRP_REASON_NO_ACS) {
			anchor->reason = IOMMUGRP_REASON_NO_ACS;
			anchor->cause = joiner->cause;
		}
	}
}

static int compare_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/* The kernel's group numbers of the functions, sorted (duplicates kept): an index for them. */
static unsigned int *group_numbers(const struct topology *topo)
{
	unsigned int *numbers = malloc((topo->n_pcis + 1) * sizeof(*numbers));
	size_t n = 0;

	if (!numbers)
		return NULL;
	for (size_t i = 0; i < topo->n_pcis; i++)
		if (topo->pcis[i]->has_group)
			numbers[n++] = topo->pcis[i]->group;
	qsort(numbers, n, sizeof(*numbers), compare_uint);
	return numbers;
}

static size_t group_slot(const unsigned int *numbers, size_t n, unsigned int group)
{
	const unsigned int *hit = bsearch(&group, numbers, n, sizeof(*numbers), compare_uint);

	while (hit > numbers && hit[-1] == group)
		hit--; /* the first of equal numbers: one slot per group */
	return (size_t)(hit - numbers);
}

/*
 * A function agrees when its predicted group and its kernel group have the
 * same members: its class's members are all in one kernel group, and no
 * other class has members in that group. Per class root the kernel group
 * seen, per kernel group the class root seen.
 */
static int compare_with_kernel(struct topology *topo, unsigned int *ret_mismatches)
{
	unsigned int *numbers = group_numbers(topo), mismatches = 0;
	struct iommugrp_pci **group_root = calloc(topo->n_pcis + 1, sizeof(*group_root));
	bool *group_conflict = calloc(topo->n_pcis + 1, sizeof(*group_conflict));
	size_t n = 0;

	if (!numbers || !group_root || !group_conflict) {
		free(numbers), free(group_root), free(group_conflict);
		return -ENOMEM;
	}
	for (size_t i = 0; i < topo->n_pcis; i++) {
		topo->pcis[i]->class_group = -1, topo->pcis[i]->class_conflict = 0;
		n += topo->pcis[i]->has_group;
	}
	for (size_t i = 0; i < topo->n_pcis; i++) {
		struct iommugrp_pci *pci = topo->pcis[i], *root = uf_find(pci);
		size_t slot;

		if (!pci->has_group)
			continue;
		slot = group_slot(numbers, n, pci->group);
		if (root->class_group < 0)
			root->class_group = pci->group;
		else if (root->class_group != (long)pci->group)
			root->class_conflict = 1;
		if (!group_root[slot])
			group_root[slot] = root;
		else if (group_root[slot] != root)
			group_conflict[slot] = true;
	}
	for (size_t i = 0; i < topo->n_pcis; i++) {
		struct iommugrp_pci *pci = topo->pcis[i];

		pci->agrees = !pci->has_group ||
			      (!uf_find(pci)->class_conflict &&
			       !group_conflict[group_slot(numbers, n, pci->group)]);
		mismatches += !pci->agrees;
	}
	free(numbers), free(group_root), free(group_conflict);
	*ret_mismatches = mismatches;
	return 0;
}

static int replay_once(struct topology *topo, unsigned int *ret_mismatches)
{
	for (size_t i = 0; i < topo->n_pcis; i++) {
		struct iommugrp_pci *pci = topo->pcis[i];

		pci->uf_parent = pci;
		pci->uncertain = 0;
		pci->reason = IOMMUGRP_REASON_UNKNOWN;
		pci->cause = pci->joined = NULL;
	}
	for (size_t i = 0; i < topo->n_pcis; i++)
		replay_device(topo, topo->pcis[i]);
	explain_anchors(topo);
	return compare_with_kernel(topo, ret_mismatches);
}

int topology_replay(struct topology *topo)
{
	unsigned int assumed_yes, assumed_no;
	int r;

	topo->assume_quirk = TRI_YES;
	r = replay_once(topo, &assumed_yes);
	if (r < 0 || !topo->unknown_quirks)
		return r;
	/* A quirk's result is hidden: keep whichever assumption the kernel's groups bear out. */
	topo->assume_quirk = TRI_NO;
	r = replay_once(topo, &assumed_no);
	if (r == 0 && assumed_no > assumed_yes) {
		topo->assume_quirk = TRI_YES;
		r = replay_once(topo, &assumed_yes);
	}
	topo->quirk_guessed = true;
	return r;
}

bool topology_device_agrees(struct topology *topo, struct iommugrp_pci *pci)
{
	(void)topo;
	return pci->agrees;
}

/* Whether @a and @b are in one predicted group. */
bool topology_same_class(struct iommugrp_pci *a, struct iommugrp_pci *b)
{
	return uf_find(a) == uf_find(b);
}
