/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to libiommugrp: the PCI topology and the replay of the kernel's grouping. */
#ifndef IOMMUGRP_TOPOLOGY_H
#define IOMMUGRP_TOPOLOGY_H

#include <stdio.h>

#include "internal.h"

/* Tri-state answers: the kernel's code knows, iommugrp sometimes cannot. */
enum { TRI_NO = 0, TRI_YES = 1, TRI_UNKNOWN = -1 };

struct topology;

struct iommugrp_pci {
	struct topology *topo;
	char name[PCI_ADDRESS_MAX];
	char *syspath;		       /* sys/devices/..., relative to the sysroot */
	struct iommugrp_pci *upstream; /* bus->self; NULL on a root bus */

	int config_err;		  /* reading config failed */
	unsigned int config_read; /* bytes of config read */
	unsigned int config_size; /* the file's size: what the kernel could give */
	uint16_t vendor, device;
	uint8_t header_type, secondary_bus;
	unsigned multifunction : 1, is_bridge : 1, has_group : 1, ext_unreadable : 1, is_vf : 1;
	int pcie_type; /* enum iommugrp_pcie_type */
	uint16_t acs_pos, acs_cap, acs_ctrl;
	uint32_t acs_ctrl32; /* the dword after cap+ctrl: Intel SPT PCH keeps its control there */
	unsigned int group;

	/* The replay's results */
	const struct acs_quirk *quirk;	/* the quirk that decides ACS, if any */
	int acs_verdict;		/* TRI_*: pci_acs_enabled(REQ_ACS_FLAGS) */
	int uncertain;			/* the verdict of something needed was unknown */
	struct iommugrp_pci *uf_parent; /* union-find */
	enum iommugrp_reason reason;
	struct iommugrp_pci *cause;
	struct iommugrp_pci *joined; /* whose group the kernel gives it, NULL: a new one */
	size_t index;		     /* in topology.pcis */
	long class_group;	     /* on a class root: its members' kernel group, -1 none */
	unsigned class_conflict : 1; /* on a class root: members in different kernel groups */
	unsigned agrees : 1;	     /* its predicted group is its kernel group */
};

struct topology {
	struct iommugrp_ctx *ctx;
	struct iommugrp_pci **pcis; /* sorted by name */
	size_t n_pcis;
	bool has_ivrs;
	int assume_quirk;    /* what quirks whose result sysfs cannot show are taken to say */
	bool quirk_guessed;  /* assume_quirk was chosen to match the kernel's groups */
	bool unknown_quirks; /* some quirk's result is not visible */
	char *scope;	     /* a group's topology: the root-bus slots read ("root/slot;"...) */
	const struct iommugrp_group *for_group; /* the group it was last asked for */
	struct topology *next;			/* the context's other group topologies */
};

struct acs_quirk {
	uint16_t vendor, device; /* 0xffff: any device */
	const char *name;
	int (*verdict)(const struct iommugrp_pci *pci); /* TRI_*, or -2: not for this device */
};
#define QUIRK_NOT_APPLICABLE (-2)

int topology_get(struct iommugrp_ctx *ctx, struct topology **ret_topo);
int topology_get_for_group(struct iommugrp_group *group, struct topology **ret_topo);
struct iommugrp_pci *topology_find(struct topology *topo, const char *name);
int topology_replay(struct topology *topo);
bool topology_device_agrees(struct topology *topo, struct iommugrp_pci *pci);
bool topology_same_class(struct iommugrp_pci *a, struct iommugrp_pci *b);
const struct acs_quirk *acs_quirk_find(const struct iommugrp_pci *pci, int *ret_verdict);
int dma_alias_quirk_devfn(const struct iommugrp_pci *pci, const char **ret_name);

#endif
