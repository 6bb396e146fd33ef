/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The interfaces the host needs: those with a default route, a global address
 * or routes (in any table), those that reach its network storage, and every
 * interface stacked below one of those (the kernel's lower_* adjacency links:
 * bridge ports, bond and team slaves, a VLAN's or macvlan's link, VRF members),
 * each with the chain from the NIC up to what uses it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostuse.h"

static char *next_line(char *line)
{
	char *newline = strchr(line, '\n');

	return newline ? newline + 1 : NULL;
}

/*
 * Ends the line at LINE (its newline becomes a NUL) and returns the next one,
 * or NULL: sscanf measures the whole string it is given, so a line must not
 * run on to the end of a file of thousands.
 */
static char *cut_line(char *line)
{
	char *newline = strchr(line, '\n');

	if (!newline)
		return NULL;
	*newline = '\0';
	return newline + 1;
}

static void add_route(struct host_use *hu, const struct route *route)
{
	struct route *bigger = reallocarray(hu->routes, hu->n_routes + 1, sizeof(*bigger));

	if (!bigger) {
		hu->out_of_memory = true;
		return;
	}
	hu->routes = bigger;
	hu->routes[hu->n_routes++] = *route;
}

static void anchor(struct host_use *hu, const char *ifname, int strength, char *tail)
{
	if (strcmp(ifname, "lo") != 0)
		host_need_add(hu, &hu->anchors, ifname, tail, strength);
	else
		free(tail);
}

static unsigned int mask_length(uint32_t mask_raw)
{
	return (unsigned int)__builtin_popcount(mask_raw);
}

/* /proc/net/route (IPv4, the main table): "eth0 00000000 0102A8C0 0003 0 0 0 00000000 ...". */
static void parse_ipv4_routes(struct host_use *hu, char *text)
{
	for (char *line = cut_line(text), *next; line && *line; line = next) {
		struct route r = { .family = AF_INET };
		unsigned int dst, flags, mask;
		char dst_text[INET_ADDRSTRLEN];

		next = cut_line(line);
		if (sscanf(line, "%31s %x %*x %x %*d %*d %*d %x", r.ifname, &dst, &flags, &mask) !=
			    4 ||
		    !(flags & 0x1) || (flags & 0x200)) /* RTF_UP, not RTF_REJECT */
			continue;
		memcpy(r.dst, &dst, 4); /* printed as the raw __be32: bytes in network order */
		r.plen = mask_length(mask);
		add_route(hu, &r);
		inet_ntop(AF_INET, r.dst, dst_text, sizeof(dst_text));
		if (r.plen == 0)
			anchor(hu, r.ifname, ANCHOR_DEFAULT, strdup("carries the default route"));
		else
			anchor(hu, r.ifname, ANCHOR_ROUTES,
			       strdup_printf("carries the route to %s/%u", dst_text, r.plen));
	}
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Two hex digits a byte, as the kernel prints them; anything else as sscanf's %2x reads it. */
static int parse_hex_bytes(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int high = hex_digit(hex[2 * i]), low = high < 0 ? -1 : hex_digit(hex[2 * i + 1]);
		unsigned int byte;

		if (low >= 0)
			byte = (unsigned int)(high * 16 + low);
		else if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -EINVAL;
		out[i] = (uint8_t)byte;
	}
	return 0;
}

/* Link-local and multicast routes are on every interface with IPv6 up: they say nothing. */
static bool ipv6_says_nothing(const uint8_t *dst)
{
	return dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80);
}

/* /proc/net/ipv6_route, every table: "dst plen src slen nexthop metric ref use flags dev". */
static void parse_ipv6_routes(struct host_use *hu, char *text)
{
	for (char *line = text, *next; line && *line; line = next) {
		struct route r = { .family = AF_INET6 };
		char dst[33], dst_text[INET6_ADDRSTRLEN];
		unsigned int flags;

		next = cut_line(line);
		if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %x %31s", dst, &r.plen, &flags,
			   r.ifname) != 4 ||
		    strlen(dst) != 32 || parse_hex_bytes(dst, r.dst, 16) < 0 || !(flags & 0x1) ||
		    (flags & 0x200) || ipv6_says_nothing(r.dst))
			continue;
		add_route(hu, &r);
		inet_ntop(AF_INET6, r.dst, dst_text, sizeof(dst_text));
		if (r.plen == 0)
			anchor(hu, r.ifname, ANCHOR_DEFAULT,
			       strdup("carries the default IPv6 route"));
		else
			anchor(hu, r.ifname, ANCHOR_ROUTES,
			       strdup_printf("carries the route to %s/%u", dst_text, r.plen));
	}
}

/* /proc/net/if_inet6: "address index plen scope flags name"; scope 0 global, 0x40 site. */
static void parse_ipv6_addresses(struct host_use *hu, char *text)
{
	for (char *line = text, *next; line && *line; line = next) {
		char hex[33], name[32], address[INET6_ADDRSTRLEN];
		unsigned int idx, plen, scope, flags;
		uint8_t bytes[16];

		next = cut_line(line);
		if (sscanf(line, "%32s %x %x %x %x %31s", hex, &idx, &plen, &scope, &flags, name) !=
			    6 ||
		    (scope != 0x00 && scope != 0x40) || parse_hex_bytes(hex, bytes, 16) < 0)
			continue;
		inet_ntop(AF_INET6, bytes, address, sizeof(address));
		anchor(hu, name, ANCHOR_ADDRESS,
		       strdup_printf("has a global IPv6 address, %s/%u", address, plen));
	}
}

/* A /proc file; ENOENT is fine where the feature may be absent (IPv6 off). */
static void read_source(const struct iommugrp_ctx *ctx, struct host_use *hu, const char *path,
			bool optional, void (*parse)(struct host_use *, char *))
{
	char *text = NULL;
	int r = sysfs_read(ctx, path, &text);

	if (r >= 0)
		parse(hu, text);
	else if (r == -ENOMEM)
		hu->out_of_memory = true;
	else if (!(optional && r == -ENOENT))
		host_use_unknown(hu, &hu->net_unknown,
				 strdup_printf("/%s, which says which interfaces carry the host's "
					       "traffic, cannot be read (%s)",
					       path, strerror(-r)));
	free(text);
}

const char *host_use_route_to(const struct host_use *hu, const char *address)
{
	uint8_t want[16];
	int family = strchr(address, ':') ? AF_INET6 : AF_INET;
	const struct route *best = NULL;

	if (inet_pton(family, address, want) != 1)
		return NULL;
	for (size_t i = 0; i < hu->n_routes; i++) {
		const struct route *r = &hu->routes[i];
		unsigned int full = r->plen / 8, rest = r->plen % 8;

		if (r->family != family || r->plen > (family == AF_INET ? 32u : 128u) ||
		    memcmp(r->dst, want, full) != 0 ||
		    (rest && ((r->dst[full] ^ want[full]) & (0xff00 >> rest) & 0xff)) ||
		    (best && best->plen >= r->plen) || strcmp(r->ifname, "lo") == 0)
			continue;
		best = r;
	}
	return best ? best->ifname : NULL;
}

static void anchor_targets(struct host_use *hu)
{
	for (size_t i = 0; i < hu->n_targets; i++) {
		const struct net_target *t = &hu->targets[i];
		const char *ifname = host_use_route_to(hu, t->address);

		if (ifname)
			anchor(hu, ifname, ANCHOR_STORAGE,
			       strdup_printf("reaches %s, %s", t->address, t->what));
		else
			host_use_unknown(hu, &hu->net_unknown,
					 strdup_printf("no route says which interface reaches "
						       "%s, %s",
						       t->address, t->what));
	}
}

/* The DEVTYPE= line of an interface's uevent ("bridge", "vlan"), or "" when it has none. */
static void read_devtype(const struct iommugrp_ctx *ctx, const char *ifname, char *buf, size_t size)
{
	char *dir = strdup_printf("sys/class/net/%s", ifname), *uevent = NULL;

	buf[0] = '\0';
	if (dir && sysfs_read_attr(ctx, dir, "uevent", &uevent) >= 0)
		for (char *line = uevent; line && *line; line = next_line(line))
			if (strncmp(line, "DEVTYPE=", 8) == 0) {
				snprintf(buf, size, "%.*s", (int)strcspn(line + 8, "\n"), line + 8);
				break;
			}
	free(uevent);
	free(dir);
}

/* "a port of the bridge vmbr0": what the upper device is, from its DEVTYPE. */
static char *relation_to(const struct iommugrp_ctx *ctx, const char *upper)
{
	static const struct {
		const char *devtype, *phrase;
	} kinds[] = {
		{ "bridge", "a port of the bridge" },	  { "bond", "a port of the bond" },
		{ "team", "a port of the team" },	  { "vlan", "the link of the VLAN" },
		{ "macvlan", "the link of the macvlan" }, { "macvtap", "the link of the macvtap" },
		{ "ipvlan", "the link of the ipvlan" },	  { "vrf", "a member of the VRF" },
	};
	const char *phrase = "below";
	char devtype[32];

	read_devtype(ctx, upper, devtype, sizeof(devtype));
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strcmp(devtype, kinds[i].devtype) == 0)
			phrase = kinds[i].phrase;
	return strdup_printf("%s %s", phrase, upper);
}

static const char *tail_of(const struct host_need *need)
{
	static const char prefix[] = "its interface ";

	return need->why + strlen(prefix) + strlen(need->name) + 1;
}

static void add_lowers(const struct iommugrp_ctx *ctx, struct host_use *hu, const char *upper,
		       int depth);

/* *RELATION: what UPPER is to its lowers, read once for all of them (NULL until then). */
static void add_lower(const struct iommugrp_ctx *ctx, struct host_use *hu, const char *upper,
		      char **relation, const char *lower, int depth)
{
	const struct host_need *up = host_need_find(&hu->ifaces, upper);
	char *why;
	int strength;

	if (!up || host_need_find(&hu->ifaces, lower))
		return;
	if (!*relation)
		*relation = relation_to(ctx, upper);
	strength = up->strength;
	why = *relation ? strdup_printf("its interface %s is %s, which %s", lower, *relation,
					tail_of(up))
			: NULL;
	if (host_need_add(hu, &hu->ifaces, lower, why, strength))
		add_lowers(ctx, hu, lower, depth + 1);
}

/* Every lower_NAME link of an interface the host needs: the kernel's stacking, any kind. */
static void add_lowers(const struct iommugrp_ctx *ctx, struct host_use *hu, const char *upper,
		       int depth)
{
	char *dir = strdup_printf("sys/class/net/%s", upper), **names = NULL, *relation = NULL;
	size_t count = 0;
	int r = dir ? sysfs_list_dir(ctx, dir, &names, &count) : -ENOMEM;

	if (r == -ENOMEM)
		hu->out_of_memory = true;
	else if (r < 0 && r != -ENOENT)
		host_use_unknown(hu, &hu->net_unknown,
				 strdup_printf("the interfaces below %s, which the host uses, "
					       "cannot be listed (/%s: %s)",
					       upper, dir, strerror(-r)));
	for (size_t i = 0; r == 0 && i < count; i++)
		if (depth < 8 && strncmp(names[i], "lower_", 6) == 0)
			add_lower(ctx, hu, upper, &relation, names[i] + 6, depth);
	free(relation);
	strv_free(names, count);
	free(dir);
}

/* The strongest reason first, so that a NIC below two users is explained by the stronger. */
static int by_strength(const void *a, const void *b)
{
	const struct host_need *x = a, *y = b;

	return y->strength - x->strength;
}

static void add_anchors_and_below(const struct iommugrp_ctx *ctx, struct host_use *hu)
{
	if (hu->anchors.count > 1) {
		qsort(hu->anchors.items, hu->anchors.count, sizeof(*hu->anchors.items), by_strength);
		host_needs_reordered(&hu->anchors);
	}
	for (size_t i = 0; i < hu->anchors.count; i++) {
		const struct host_need *a = &hu->anchors.items[i];

		if (host_need_find(&hu->ifaces, a->name))
			continue;
		if (host_need_add(hu, &hu->ifaces, a->name,
				  strdup_printf("its interface %s %s", a->name, a->why),
				  a->strength))
			add_lowers(ctx, hu, a->name, 0);
	}
}

static void resolve_paths(const struct iommugrp_ctx *ctx, struct host_use *hu)
{
	struct link_dir net = { "sys/class/net", -1, false };

	for (size_t i = 0; i < hu->ifaces.count; i++) {
		struct host_need *n = &hu->ifaces.items[i];

		if (host_use_link_target(ctx, &net, n->name, &n->path) == -ENOMEM)
			hu->out_of_memory = true;
	}
	link_dir_close(&net);
}

void host_use_read_network(const struct iommugrp_ctx *ctx, struct host_use *hu)
{
	read_source(ctx, hu, "proc/net/route", false, parse_ipv4_routes);
	read_source(ctx, hu, "proc/net/ipv6_route", true, parse_ipv6_routes);
	read_source(ctx, hu, "proc/net/if_inet6", true, parse_ipv6_addresses);
	/* Addresses and policy-routing tables /proc does not show: the running host only. */
	if (!ctx->confined && host_use_read_netlink(hu) < 0)
		host_use_unknown(hu, &hu->net_unknown,
				 strdup("the kernel's addresses and routing tables cannot be "
					"read (netlink)"));
	anchor_targets(hu);
	add_anchors_and_below(ctx, hu);
	resolve_paths(ctx, hu);
}
