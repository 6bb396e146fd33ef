/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the iommugrp tool's commands: options, exit codes, output helpers. */
#ifndef IOMMUGRP_CLI_CLI_H
#define IOMMUGRP_CLI_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <stdio.h>

#include <libsmartcols.h>

#include "iommugrp.h"

/* Documented in iommugrp(8); scripts rely on them. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_ERROR = 1,	      /* the system could not be read, or reported malformed data */
	EXIT_USAGE = 2,	      /* bad option, argument, address or policy */
	EXIT_NOT_FOUND = 3,   /* no such group or device */
	EXIT_REFUSED = 4,     /* a precondition failed: nothing was changed */
	EXIT_ROLLED_BACK = 5, /* a step failed; everything was put back as it was */
	EXIT_INCOMPLETE = 6,  /* a step failed and the rollback did not finish */
	EXIT_PARTIAL = 7,     /* several groups: some changed, others refused or rolled back */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct cli {
	const char *sysroot;
	bool json, raw, noheadings, flat, list_columns;
	const char *columns;
	enum color_mode color;
	struct iommugrp_ctx *ctx;
};

struct command {
	const char *name;
	const char *args; /* the synopsis after the name, for the help: "TARGET POLICY" */
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
};

extern const struct argp common_argp;
extern const struct command commands[];

/* main.c */
int cli_open_context(struct cli *cli);
bool cli_use_color(const struct cli *cli);
int cli_load_vfio_pci(const struct cli *cli);
/* How a command parses its arguments; argp exits with EXIT_USAGE on errors. */
struct command_spec {
	const char *args_doc;
	const char *doc;
	int min_args, max_args;
	struct cli *cli;
	const struct argp_option *options; /* the command's own, parsed by parser into input */
	argp_parser_t parser;
	void *input;
};
int cli_parse(const struct command_spec *spec, int argc, char **argv, char ***ret_args,
	      int *ret_count);
void cli_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *format, ...) __attribute__((format(printf, 1, 2)));
int cli_target_error(const struct cli *cli, const char *target, int r);
int cli_exit_status(const struct cli *cli, int status);
void cli_output_error(int err);

/* columns.c: the one registry of output columns. */
enum column_id {
	COL_NAME,
	COL_GROUP,
	COL_TYPE,
	COL_DEVICES,
	COL_VIABLE,
	COL_VFIO,
	COL_SUBSYSTEM,
	COL_CLASS,
	COL_CLASSID,
	COL_ID,
	COL_VENDOR,
	COL_MODEL,
	COL_DRIVER,
	COL_OVERRIDE,
	COL_PATH,
	COL_REASON,
	COL_COUNT
};
struct column_set {
	enum column_id ids[COL_COUNT * 2 + 1];
	size_t count;
	int hidden; /* index of a column kept out of the output (JSON's tree needs NAME), or -1 */
};
int columns_parse(const char *spec, const struct column_set *defaults, struct column_set *ret_set);
void columns_print_list(FILE *out);
struct libscols_table *columns_new_table(const struct cli *cli, const struct column_set *set,
					 const char *json_name, bool tree);
#define COLUMN_SCRATCH 32
const char *column_text(enum column_id id, struct iommugrp_group *group,
			struct iommugrp_device *device, char scratch[COLUMN_SCRATCH], char **owned);
const char *column_group_text(enum column_id id, struct iommugrp_group *group,
			      char scratch[COLUMN_SCRATCH], char **owned);
const char *column_device_text(enum column_id id, struct iommugrp_device *device,
			       char scratch[COLUMN_SCRATCH], char **owned);
int column_json_type(enum column_id id);
const char *column_name(enum column_id id);
int column_flags(enum column_id id);
double column_width_hint(enum column_id id);
char *column_group_value(enum column_id id, struct iommugrp_group *group);
char *column_device_value(enum column_id id, struct iommugrp_device *device);
void columns_fill_line(struct libscols_line *line, const struct column_set *set,
		       struct iommugrp_group *group, struct iommugrp_device *device);

/* json.c: a small writer for the commands whose output is not one table. */
typedef void json_put_fn(void *out, const char *data, size_t len);
/* "STR", quoted and escaped (RFC 8259, as libsmartcols escapes), through EMIT. */
void json_put_string(const char *str, json_put_fn *emit, void *out);
struct json {
	FILE *out;
	int depth;
	bool need_comma;
};
void json_begin(struct json *j, FILE *out);
void json_end(struct json *j);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_uint(struct json *j, const char *key, unsigned long long value);
void json_bool(struct json *j, const char *key, bool value);

/* stream.c: list's JSON and raw output without building a table; the same bytes. */
struct stream {
	FILE *out;
	const struct column_set *set;
	bool json, noheadings, failed;
	int depth, last_visible;
	size_t lines, len;
	char buf[64 * 1024];
};
void stream_begin(struct stream *s, FILE *out, const struct column_set *set, bool json,
		  bool noheadings, const char *json_name);
void stream_row(struct stream *s, struct iommugrp_group *group, struct iommugrp_device *device,
		bool first_sibling);
void stream_children_begin(struct stream *s);
void stream_children_end(struct stream *s);
void stream_row_end(struct stream *s);
int stream_end(struct stream *s);

/* text-table.c: list's tree and table when stdout is not a terminal; libsmartcols' bytes. */
struct text_table;
struct text_table *text_table_new(const struct column_set *set, bool tree, bool noheadings);
int text_table_add_row(struct text_table *t, struct iommugrp_group *group,
		       struct iommugrp_device *device, bool child);
int text_table_print(struct text_table *t, FILE *out);
void text_table_free(struct text_table *t);

/* Commands, one file each. */
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_set_policy(struct cli *cli, int argc, char **argv);
int cmd_vfio_bind(struct cli *cli, int argc, char **argv);
int cmd_vfio_release(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_check_config(struct cli *cli, int argc, char **argv);
int cmd_apply(struct cli *cli, int argc, char **argv);
int cmd_why(struct cli *cli, int argc, char **argv);
/* cmd-why.c: the REASON column and show's summary line. */
char *why_device_reason(struct iommugrp_device *device);
char *why_group_reason(struct iommugrp_group *group);
void why_print_summary(FILE *out, struct iommugrp_group *group);

/* plan.c: printing, confirming and applying planned changes (set-policy, vfio-bind, ...). */
void plan_print_steps(FILE *out, struct iommugrp_change *change);
void plan_json(struct json *j, struct iommugrp_change *change, const char *cli_refusal);
char *plan_unbound_drivers(struct iommugrp_change *change);
int plan_exit_status(struct iommugrp_change *change);
void plan_report(struct iommugrp_change *change);
bool plan_needs_unbind(struct iommugrp_change *change);
bool confirm(const char *question);
int plan_execute(struct iommugrp_change *change, bool dry_run);
enum iommugrp_outcome plan_outcome(struct iommugrp_change *change);
struct plan_words {
	const char *aim;     /* "hand it to vfio-pci" */
	const char *done;    /* "handed to vfio-pci" */
	const char *already; /* "it is on vfio-pci already" */
};
void plan_print_text(unsigned int group, struct iommugrp_change *change, bool dry_run,
		     const struct plan_words *words);
int worst_status(int a, int b);
/* Why iommugrp_vfio_file_set_owner() failed, in words. */
const char *vfio_file_error(int r);
/* Several groups: EXIT_PARTIAL when @status says some failed and others were changed. */
int partial_status(int status);
int cli_resolve_groups(struct cli *cli, char **targets, int count,
		       struct iommugrp_group ***ret_groups, int *ret_count);
void cli_unref_groups(struct iommugrp_group **groups, int count);
/* --dry-run, the same for every command that changes something. */
enum { OPT_DRY_RUN = 0x200, OPT_COMMAND_FIRST };
#define DRY_RUN_OPTION                                                                             \
	{                                                                                          \
		"dry-run", OPT_DRY_RUN, NULL, 0,                                                   \
			"Print every sysfs write, in order; change nothing", 0                     \
	}
extern const struct argp_option dry_run_options[];
error_t parse_dry_run(int key, char *arg, struct argp_state *state);
typedef int (*group_fn)(struct cli *cli, const void *options, struct iommugrp_group *group,
			struct json *j);
int run_on_groups(struct cli *cli, char **targets, int count, group_fn fn, const void *options);

#endif
