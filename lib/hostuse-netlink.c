/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The running host's IPv4 addresses and the routes of every table (policy
 * routing, VRFs), which /proc does not show: one rtnetlink dump of each. Only
 * for the host itself (no --sysroot): a captured tree has its /proc files.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostuse.h"

/*
 * if_indextoname per message would be an ioctl each: a small cache. When it is
 * full a slot is reused, never a lookup skipped (a skipped route would read as
 * an interface the host does not use).
 */
struct names {
	unsigned int index[64];
	char name[64][IF_NAMESIZE];
	size_t count, next;
};

static const char *name_of(struct names *names, unsigned int index)
{
	size_t slot;

	for (size_t i = 0; i < names->count; i++)
		if (names->index[i] == index)
			return names->name[i];
	slot = names->count < ARRAY_SIZE(names->index) ? names->count++ : names->next;
	names->next = (slot + 1) % ARRAY_SIZE(names->index);
	names->index[slot] = 0;
	if (!if_indextoname(index, names->name[slot]))
		return NULL; /* gone since the dump: it carries nothing now */
	names->index[slot] = index;
	return names->name[slot];
}

static int dump_request(int fd, int type, unsigned int seq)
{
	struct {
		struct nlmsghdr nh;
		struct rtgenmsg g;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
			.nlmsg_type = (unsigned short)type,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = seq },
		.g = { .rtgen_family = AF_UNSPEC },
	};

	return send(fd, &req, req.nh.nlmsg_len, 0) < 0 ? -errno : 0;
}

static void anchor(struct host_use *hu, const char *ifname, int strength, char *tail)
{
	if (ifname && strcmp(ifname, "lo") != 0)
		host_need_add(hu, &hu->anchors, ifname, tail, strength);
	else
		free(tail);
}

static void on_address(struct host_use *hu, struct names *names, struct nlmsghdr *nh)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	int len = (int)IFA_PAYLOAD(nh);
	char text[INET6_ADDRSTRLEN] = "";

	/* Link- and host-scope addresses (fe80::, 127.0.0.1) carry nothing off the host. */
	if (ifa->ifa_scope >= RT_SCOPE_LINK)
		return;
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFA_ADDRESS || (a->rta_type == IFA_LOCAL && !*text))
			inet_ntop(ifa->ifa_family, RTA_DATA(a), text, sizeof(text));
	anchor(hu, name_of(names, ifa->ifa_index), ANCHOR_ADDRESS,
	       strdup_printf(ifa->ifa_family == AF_INET6 ? "has a global IPv6 address, %s/%u"
							 : "has the address %s/%u",
			     text, ifa->ifa_prefixlen));
}

static void route_via(struct host_use *hu, struct names *names, const struct rtmsg *rtm,
		      const uint8_t *dst, unsigned int table, unsigned int oif)
{
	const char *ifname = name_of(names, oif);
	struct route r = { .family = rtm->rtm_family, .plen = rtm->rtm_dst_len };
	char text[INET6_ADDRSTRLEN] = "::";
	struct route *bigger;

	if (!ifname)
		return;
	snprintf(r.ifname, sizeof(r.ifname), "%s", ifname);
	if (dst)
		memcpy(r.dst, dst, rtm->rtm_family == AF_INET ? 4 : 16);
	bigger = reallocarray(hu->routes, hu->n_routes + 1, sizeof(*bigger));
	if (!bigger) {
		hu->out_of_memory = true;
		return;
	}
	hu->routes = bigger;
	hu->routes[hu->n_routes++] = r;
	inet_ntop(rtm->rtm_family, r.dst, text, sizeof(text));
	if (rtm->rtm_dst_len == 0 && rtm->rtm_type == RTN_UNICAST)
		anchor(hu, ifname, ANCHOR_DEFAULT,
		       table == RT_TABLE_MAIN
			       ? strdup("carries the default route")
			       : strdup_printf("carries the default route of table %u", table));
	else
		anchor(hu, ifname, ANCHOR_ROUTES,
		       strdup_printf("carries the route to %s/%u", text, r.plen));
}

/* Link-local and multicast IPv6 routes are on every interface with IPv6 up. */
static bool says_nothing(const struct rtmsg *rtm, const uint8_t *dst)
{
	if (rtm->rtm_type != RTN_UNICAST && rtm->rtm_type != RTN_LOCAL)
		return true;
	return rtm->rtm_family == AF_INET6 && dst &&
	       (dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80));
}

static void on_route(struct host_use *hu, struct names *names, struct nlmsghdr *nh)
{
	struct rtmsg *rtm = NLMSG_DATA(nh);
	int len = (int)RTM_PAYLOAD(nh);
	const uint8_t *dst = NULL;
	unsigned int table = rtm->rtm_table, oif = 0;
	struct rtattr *multipath = NULL;

	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return;
	for (struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_DST)
			dst = RTA_DATA(a);
		else if (a->rta_type == RTA_OIF)
			oif = *(unsigned int *)RTA_DATA(a);
		else if (a->rta_type == RTA_TABLE)
			table = *(unsigned int *)RTA_DATA(a);
		else if (a->rta_type == RTA_MULTIPATH)
			multipath = a;
	}
	if (says_nothing(rtm, dst))
		return;
	if (oif)
		route_via(hu, names, rtm, dst, table, oif);
	if (multipath) {
		struct rtnexthop *nh_ = RTA_DATA(multipath);
		int left = (int)RTA_PAYLOAD(multipath);

		for (; RTNH_OK(nh_, left); left -= NLMSG_ALIGN(nh_->rtnh_len), nh_ = RTNH_NEXT(nh_))
			route_via(hu, names, rtm, dst, table, (unsigned int)nh_->rtnh_ifindex);
	}
}

/* NLMSG_OK without its int/unsigned comparison (clang -Wsign-compare). */
static bool message_fits(const struct nlmsghdr *nh, size_t left)
{
	return left >= sizeof(*nh) && nh->nlmsg_len >= sizeof(*nh) && nh->nlmsg_len <= left;
}

static struct nlmsghdr *next_message(struct nlmsghdr *nh, size_t *left)
{
	size_t step = NLMSG_ALIGN(nh->nlmsg_len);

	*left = step < *left ? *left - step : 0;
	return (struct nlmsghdr *)((char *)nh + step);
}

/* Reads one dump to its NLMSG_DONE; an error message or a truncated read fails it. */
static int read_dump(int fd, unsigned int seq, struct host_use *hu, struct names *names)
{
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		/* MSG_TRUNC: the message's real length, so a truncated one is seen. */
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		size_t left = (size_t)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (size_t)n > sizeof(buf))
			return n < 0 ? -errno : -EIO;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; message_fits(nh, left);
		     nh = next_message(nh, &left)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return -EIO;
			if (nh->nlmsg_type == RTM_NEWADDR)
				on_address(hu, names, nh);
			else if (nh->nlmsg_type == RTM_NEWROUTE)
				on_route(hu, names, nh);
		}
	}
}

int host_use_read_netlink(struct host_use *hu)
{
	struct names names = { .count = 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), r;

	if (fd < 0)
		return -errno;
	r = dump_request(fd, RTM_GETADDR, 1);
	if (r == 0)
		r = read_dump(fd, 1, hu, &names);
	if (r == 0)
		r = dump_request(fd, RTM_GETROUTE, 2);
	if (r == 0)
		r = read_dump(fd, 2, hu, &names);
	close(fd);
	return r;
}
