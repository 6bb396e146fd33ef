/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal (lib/journal.c): any bytes as a journal file must parse or be refused cleanly;
 * whatever parses must format and parse back to the same record (the writer and the reader
 * agree), and a record built from arbitrary fields must come back field for field or be
 * refused by the writer, never written in a form the reader refuses.
 */
#include "fuzz.h"
#include "journal.h"

static void check_same(const struct journal *a, const struct journal *b)
{
	FUZZ_ASSERT(streq_ptr(a->boot_id, b->boot_id) && streq_ptr(a->operation, b->operation));
	FUZZ_ASSERT(a->group == b->group && a->done == b->done && streq_ptr(a->type, b->type));
	FUZZ_ASSERT(a->n_devices == b->n_devices);
	for (size_t i = 0; i < a->n_devices; i++) {
		FUZZ_ASSERT(streq_ptr(a->devices[i].name, b->devices[i].name));
		FUZZ_ASSERT(streq_ptr(a->devices[i].devpath, b->devices[i].devpath));
		FUZZ_ASSERT(streq_ptr(a->devices[i].driver, b->devices[i].driver));
		FUZZ_ASSERT(streq_ptr(a->devices[i].override, b->devices[i].override));
	}
}

static void round_trip(const struct journal *j)
{
	struct journal again;
	unsigned int bad = 0;
	char *text = NULL;

	if (journal_format(j, &text) < 0)
		return;
	FUZZ_ASSERT(journal_parse(text, &again, &bad) == 0);
	check_same(j, &again);
	journal_clear(&again);
	free(text);
}

/* What the kernel allows as a driver's name: one sysfs directory entry. */
static bool driver_name_ok(const char *name)
{
	if (strlen(name) > 255 || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p <= ' ' || *p >= 0x7f)
			return false;
	return true;
}

/* Fields from the input, split at '\n': an override (and a driver) as the writer sees them. */
static void fields_round_trip(char *text)
{
	struct journal j = { 0 };
	char *override = strsep(&text, "\n");
	char *driver = text ? strsep(&text, "\n") : NULL;
	struct journal_device d = {
		.name = (char *)"0000:00:02.0",
		.devpath = (char *)"sys/devices/pci0000:00/0000:00:02.0",
		.driver = driver && *driver ? driver : NULL,
		.override = *override ? override : NULL,
	};

	j.boot_id = (char *)"1b2c";
	j.operation = (char *)"vfio-bind";
	j.group = 2;
	j.type = (char *)"DMA-FQ";
	j.devices = &d;
	j.n_devices = 1;
	/* A driver the reader would refuse as a name is the planner's to avoid, not the writer's. */
	if (d.driver && !driver_name_ok(d.driver))
		d.driver = NULL;
	round_trip(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	struct journal j;
	unsigned int bad = 0;

	if (size == 0)
		return 0;
	text = fuzz_text(data + 1, size - 1);
	if (data[0] & 1) {
		fields_round_trip(text);
	} else if (journal_parse(text, &j, &bad) == 0) {
		round_trip(&j);
		journal_clear(&j);
	} else {
		FUZZ_ASSERT(bad > 0);
	}
	free(text);
	return 0;
}
