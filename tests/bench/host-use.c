/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the host-use graph costs (issue 21): for each tree, in one process and
 * interleaved round by round, a fresh context that lists every device
 * (iommugrp_scan and the group and device iterators: the enumeration), then
 * the first iommugrp_device_get_host_use() (which builds the graph for the
 * whole host), then the same question for every other device. The floor is
 * the same tree with no host use (tests/fixtures/gen-host-use --idle: nothing
 * mounted but an overlay /, no swap, no routes), so the difference is what
 * the host's stacks cost. Medians of ROUNDS rounds after one warm-up, in ms.
 *
 * Usage: host-use TREE FLOOR [ROUNDS]   times, prints a table
 *        host-use --one ROOT [ROUNDS]    one tree's medians on a line ("/": as on a host)
 *        host-use --list TREE            every device and its reason, for diffs
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iommugrp.h>

struct sample {
	double enumerate, build, queries;
	unsigned int devices, needed;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *root, int r)
{
	fprintf(stderr, "host-use: %s on %s: %s\n", what, root, strerror(-r));
	exit(1);
}

/* The devices of every group, in list order. */
static struct iommugrp_device **devices_of(struct iommugrp_ctx *ctx, const char *root,
					   unsigned int *ret_count)
{
	struct iommugrp_device **devices = NULL;
	unsigned int count = 0, size = 0;
	int r = iommugrp_scan(ctx);

	if (r < 0)
		die("iommugrp_scan", root, r);
	for (struct iommugrp_group *g = iommugrp_group_next(ctx, NULL); g;
	     g = iommugrp_group_next(ctx, g))
		for (struct iommugrp_device *d = iommugrp_group_device_next(g, NULL); d;
		     d = iommugrp_group_device_next(g, d)) {
			if (count == size) {
				size = size ? size * 2 : 1024;
				devices = reallocarray(devices, size, sizeof(*devices));
				if (!devices)
					die("listing", root, -12);
			}
			devices[count++] = d;
		}
	*ret_count = count;
	return devices;
}

static struct sample measure(const char *root)
{
	struct iommugrp_ctx *ctx = NULL;
	struct iommugrp_device **devices;
	struct sample s = { 0 };
	const char *why;
	double t0, t1, t2, t3;
	int r;

	t0 = now_ms();
	r = iommugrp_new(root, &ctx);
	if (r < 0)
		die("iommugrp_new", root, r);
	devices = devices_of(ctx, root, &s.devices);
	if (s.devices == 0)
		die("listing", root, -19);
	t1 = now_ms();
	s.needed += iommugrp_device_get_host_use(devices[0], &why) == 1;
	t2 = now_ms();
	for (unsigned int i = 1; i < s.devices; i++)
		s.needed += iommugrp_device_get_host_use(devices[i], &why) == 1;
	t3 = now_ms();
	free(devices);
	iommugrp_unref(ctx);
	s.enumerate = t1 - t0;
	s.build = t2 - t1;
	s.queries = t3 - t2;
	return s;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	return v[(n - 1) / 2];
}

static int list(const char *root)
{
	struct iommugrp_ctx *ctx = NULL;
	struct iommugrp_device **devices;
	unsigned int count;
	int r = iommugrp_new(root, &ctx);

	if (r < 0)
		die("iommugrp_new", root, r);
	devices = devices_of(ctx, root, &count);
	for (unsigned int i = 0; i < count; i++) {
		const char *why = NULL;

		r = iommugrp_device_get_host_use(devices[i], &why);
		printf("%s\t%d\t%s\n", iommugrp_device_get_name(devices[i]), r, why ? why : "-");
	}
	free(devices);
	iommugrp_unref(ctx);
	return 0;
}

static int one(const char *root, int rounds)
{
	double e[101], b[101], q[101];
	struct sample s = measure(root);

	for (int r = 0; r < rounds; r++) {
		s = measure(root);
		e[r] = s.enumerate;
		b[r] = s.build;
		q[r] = s.queries;
	}
	printf("enumeration %.2f ms, graph build %.2f ms, queries %.2f ms; %u devices, %u needed\n",
	       median(e, rounds), median(b, rounds), median(q, rounds), s.devices, s.needed);
	return 0;
}

int main(int argc, char **argv)
{
	enum { ENUMERATE, BUILD, QUERIES, HOST_USE, N_FIGURES };
	static const char *const names[] = { "enumeration", "graph build (first query)",
					     "queries of the other devices", "host use in all" };
	const char *roots[2];
	struct sample last[2];
	double *v[2][N_FIGURES], m[2][N_FIGURES];
	int rounds = 7;

	if (argc == 3 && strcmp(argv[1], "--list") == 0)
		return list(argv[2]);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "--one") == 0) {
		rounds = argc == 4 ? atoi(argv[3]) : rounds;
		return rounds >= 1 && rounds <= 101 ? one(argv[2], rounds) : 2;
	}
	if (argc < 3 || argc > 4 || (argc == 4 && (rounds = atoi(argv[3])) < 1)) {
		fprintf(stderr, "usage: host-use TREE FLOOR [ROUNDS] | --one ROOT [ROUNDS] | "
				"--list TREE\n");
		return 2;
	}
	roots[0] = argv[1];
	roots[1] = argv[2];
	for (int t = 0; t < 2; t++)
		for (int f = 0; f < N_FIGURES; f++)
			if (!(v[t][f] = calloc((size_t)rounds, sizeof(double))))
				return 1;
	for (int t = 0; t < 2; t++) /* warm-up: the page cache, the allocator */
		measure(roots[t]);
	for (int r = 0; r < rounds; r++)
		for (int t = 0; t < 2; t++) {
			struct sample s = measure(roots[t]);

			v[t][ENUMERATE][r] = s.enumerate;
			v[t][BUILD][r] = s.build;
			v[t][QUERIES][r] = s.queries;
			v[t][HOST_USE][r] = s.build + s.queries;
			last[t] = s;
		}
	for (int t = 0; t < 2; t++)
		for (int f = 0; f < N_FIGURES; f++)
			m[t][f] = median(v[t][f], rounds);
	if (last[1].needed > 0 || last[0].needed == 0) {
		fprintf(stderr, "host-use: the host needs %u devices of %s and %u of the floor %s\n",
			last[0].needed, roots[0], last[1].needed, roots[1]);
		return 1;
	}
	printf("  %u devices; the host needs %u of them (floor: %u), median of %d rounds\n",
	       last[0].devices, last[0].needed, last[1].needed, rounds);
	printf("  %-32s %10s %10s %8s\n", "", "host, ms", "floor, ms", "ratio");
	for (int f = 0; f < N_FIGURES; f++)
		printf("  %-32s %10.2f %10.2f %7.2fx\n", names[f], m[0][f], m[1][f],
		       m[1][f] > 0 ? m[0][f] / m[1][f] : 0.0);
	printf("  graph build / enumeration of the same tree: %.2fx\n",
	       m[0][ENUMERATE] > 0 ? m[0][BUILD] / m[0][ENUMERATE] : 0.0);
	for (int t = 0; t < 2; t++)
		for (int f = 0; f < N_FIGURES; f++)
			free(v[t][f]);
	return 0;
}
