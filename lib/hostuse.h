/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to hostuse*.c: what the host runs on, found once per context from
 * what the kernel stacks (interfaces over interfaces, filesystems over block
 * devices over disks), as sysfs paths that the host needs, each with the chain
 * that explains why.
 */
#ifndef IOMMUGRP_HOSTUSE_H
#define IOMMUGRP_HOSTUSE_H

#include <stdint.h>

#include "internal.h"

/* How strongly an interface is used: the strongest reason explains it. */
enum anchor_strength {
	ANCHOR_ROUTES = 1, /* routes through it (a prefix route: it has an address) */
	ANCHOR_ADDRESS,	   /* a global address */
	ANCHOR_DEFAULT,	   /* a default route, in any table */
	ANCHOR_STORAGE,	   /* it reaches the server of a network filesystem or disk */
};

struct host_need {
	char *name; /* interface or block device name */
	char *path; /* its sysfs dir, relative to the sysroot; NULL: not resolved yet */
	char *why;  /* the chain, e.g. "its interface eno1 is a port of the bond bond0, ..." */
	int strength;
};

struct host_needs {
	struct host_need *items;
	size_t count;
	/* By name: open addressing, an item's index + 1 a slot (0 empty); NULL: none, scan. */
	size_t *by_name;
	size_t by_name_size;
};

/* A server the host's storage is reached at (NFS, iSCSI): the interface to it is needed. */
struct net_target {
	char *address; /* IPv4 or IPv6 text */
	char *what;    /* "the NFS server of /" */
};

struct route {
	int family;	   /* AF_INET, AF_INET6 */
	uint8_t dst[16];   /* network byte order */
	unsigned int plen; /* prefix length */
	char ifname[32];
};

/* A need set's resolved paths in strcmp order, for the devices below a path. */
struct need_path {
	const char *path;
	size_t item;
};

struct host_use {
	struct host_needs anchors; /* interfaces with routes or addresses, by strength */
	struct host_needs ifaces;  /* every interface the host needs, anchors and below */
	struct host_needs blocks;  /* every block device the host needs */
	struct net_target *targets;
	size_t n_targets;
	struct route *routes;
	size_t n_routes;
	char *net_unknown;     /* a network source could not be read: every NIC is needed */
	char *storage_unknown; /* a storage layer could not be resolved: every disk is needed */
	bool out_of_memory;
	/* Made once the graph is complete; NULL when that needed memory there was not: scan. */
	struct need_path *blocks_by_path, *ifaces_by_path;
	size_t n_blocks_by_path, n_ifaces_by_path;
};

/* A class directory (sys/class/net) whose links are read through one descriptor of it. */
struct link_dir {
	const char *dir;
	int fd; /* -1: not open (yet, or it could not be) */
	bool tried;
};

/* hostuse.c */
/* sysfs_link_target(ctx, ld->dir, name): the same answers, one syscall for a plain name. */
int host_use_link_target(const struct iommugrp_ctx *ctx, struct link_dir *ld, const char *name,
			 char **ret_path);
/* sysfs_link_basename(ctx, ld->dir, name), likewise. */
int host_use_link_basename(const struct iommugrp_ctx *ctx, struct link_dir *ld, const char *name,
			   char **ret_name);
void link_dir_close(struct link_dir *ld);
/* Adds or strengthens a need; takes over @why. False when out of memory (noted in @hu). */
bool host_need_add(struct host_use *hu, struct host_needs *set, const char *name, char *why,
		   int strength);
const struct host_need *host_need_find(const struct host_needs *set, const char *name);
/* After the items were reordered (sorted): host_need_find must not trust the old index. */
void host_needs_reordered(struct host_needs *set);
/* Records the first reason a whole class of devices must count as needed; takes @why. */
void host_use_unknown(struct host_use *hu, char **slot, char *why);
void host_use_add_target(struct host_use *hu, const char *address, char *what);

/* hostuse-storage.c: mounts and swaps down to the disks; network storage as targets. */
void host_use_read_storage(const struct iommugrp_ctx *ctx, struct host_use *hu);
/* hostuse-net.c: routes and addresses, then every interface below the routed ones. */
void host_use_read_network(const struct iommugrp_ctx *ctx, struct host_use *hu);
/* hostuse-netlink.c: the running host's addresses and routes of every table. */
int host_use_read_netlink(struct host_use *hu);
/* Which interface a route leads to ADDRESS through (longest prefix), or NULL. */
const char *host_use_route_to(const struct host_use *hu, const char *address);

#endif
