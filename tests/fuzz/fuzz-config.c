/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the configuration parser (lib/config.c): any bytes
 * as one configuration file. The parser must never crash, leak or read out
 * of bounds, and must report a problem for every line it does not take.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DVERSION='"fuzz"' -Ilib \
 *       $(pkg-config --cflags libudev libkmod) tests/fuzz/fuzz-config.c lib/[a-z]*.c \
 *       $(pkg-config --libs libudev libkmod) -o build/fuzz-config
 *    build/fuzz/fuzz-config -max_total_time=60 tests/fuzz/corpus/config (make fuzz)
 *
 * Built without -fsanitize=fuzzer (-DFUZZ_STANDALONE), it runs each file named
 * on the command line once: the corpus as a regression test under any compiler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iommugrp_ctx *ctx;
	struct iommugrp_config *config;

	if (!ctx && iommugrp_new("/", &ctx) < 0)
		abort();
	config = calloc(1, sizeof(*config));
	if (!config)
		return 0;
	config->refcount = 1;
	config->ctx = iommugrp_ref(ctx);
	if (config_parse_text(config, "/etc/iommugrp.conf", (const char *)data, size) == 0) {
		/* Every problem names its line. */
		for (size_t i = 0; i < config->n_problems; i++)
			if (!config->problems[i].message || config->problems[i].line == 0)
				abort();
	}
	iommugrp_config_unref(config);
	return 0;
}

#ifdef FUZZ_STANDALONE
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		static uint8_t buf[1 << 20];
		size_t n;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif
