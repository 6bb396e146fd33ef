/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp: the command dispatcher and the options every command shares. */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"
#include "../shared/pci-address.h"

const char *argp_program_version = "iommugrp " VERSION;

enum { OPT_SYSROOT = 0x100, OPT_LIST_COLUMNS, OPT_COLOR };

static const struct argp_option common_options[] = {
	{ NULL, 0, NULL, 0, "Common options:", 1 },
	{ "sysroot", OPT_SYSROOT, "DIR", 0, "Read the system below DIR instead of /", 1 },
	{ "json", 'J', NULL, 0, "Use JSON output", 1 },
	{ "output", 'o', "LIST", 0, "Output columns (+LIST adds to the defaults)", 1 },
	{ "list-columns", OPT_LIST_COLUMNS, NULL, 0, "List the output columns and exit", 1 },
	{ "raw", 'r', NULL, 0, "Raw output: no alignment, no tree", 1 },
	{ "noheadings", 'n', NULL, 0, "Do not print headings", 1 },
	{ "list", 'l', NULL, 0, "Flat list instead of a tree", 1 },
	{ "color", OPT_COLOR, "WHEN", OPTION_ARG_OPTIONAL,
	  "Colorize: auto (default: on a terminal, unless NO_COLOR is set), always, never", 1 },
	{ 0 }
};

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	struct cli *cli = state->input;

	switch (key) {
	case OPT_SYSROOT:
		cli->sysroot = arg;
		break;
	case 'J':
		cli->json = true;
		break;
	case 'o':
		cli->columns = arg;
		break;
	case OPT_LIST_COLUMNS:
		cli->list_columns = true;
		break;
	case 'r':
		cli->raw = true;
		break;
	case 'n':
		cli->noheadings = true;
		break;
	case 'l':
		cli->flat = true;
		break;
	case OPT_COLOR:
		if (!arg || strcmp(arg, "auto") == 0)
			cli->color = COLOR_AUTO;
		else if (strcmp(arg, "always") == 0)
			cli->color = COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			cli->color = COLOR_NEVER;
		else
			argp_error(state, "--color: '%s' is not auto, always or never", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp common_argp = { common_options, parse_common, NULL, NULL, NULL, NULL, NULL };

/* The one list of commands: dispatch and the help's "Commands:" block come from it. */
const struct command commands[] = {
	{ "list", "", cmd_list, "List every IOMMU group and its devices (the default)" },
	{ "show", "TARGET", cmd_show, "Show everything about one group" },
	{ "status", "", cmd_status, "Is an IOMMU active; kernel rules, boot policy, vfio-pci" },
	{ "set-policy", "TARGET POLICY", cmd_set_policy,
	  "Switch a group's DMA policy: identity, DMA, DMA-FQ, auto" },
	{ "vfio-bind", "TARGET...", cmd_vfio_bind, "Hand whole groups to vfio-pci" },
	{ "vfio-release", "TARGET...", cmd_vfio_release,
	  "Give whole groups back to the drivers they had" },
	{ "restore", "", cmd_restore, "Undo interrupted operations from their journals" },
	{ "check-config", "", cmd_check_config,
	  "Check /etc/iommugrp.conf and /etc/iommugrp.d/*.conf" },
	{ "apply", "", cmd_apply, "Converge the groups to the configuration now" },
	{ "why", "TARGET", cmd_why, "Explain why devices share a group, and what would split it" },
	{ NULL, NULL, NULL, NULL },
};

/* After the options: the commands (from the table), then this. */
static const char main_doc[] =
	"Show and administer Linux IOMMU groups.\v"
	"TARGET is a group number (3), a PCI address (0000:01:00.0 or 01:00.0),\n"
	"a device name (AMDI0010:00) or a sysfs path (/sys/bus/pci/devices/0000:01:00.0,\n"
	"/sys/kernel/iommu_groups/3).\n"
	"'iommugrp COMMAND --help' describes a command's options.\n"
	"\n"
	"Examples:\n"
	"  iommugrp                         # every group as a tree\n"
	"  iommugrp -o GROUP,NAME,DRIVER -l # chosen columns, one row each\n"
	"  iommugrp show 01:00.0            # the group holding 0000:01:00.0\n"
	"  iommugrp status --json\n"
	"  iommugrp set-policy --dry-run 3 identity\n"
	"  iommugrp vfio-bind --user qemu 01:00.0   # then: iommugrp vfio-release 01:00.0\n"
	"\n"
	"Exit status: 0 success, 1 error, 2 usage error, 3 no such group or device,\n"
	"4 refused (nothing changed), 5 failed and rolled back, 6 rollback incomplete,\n"
	"7 several groups: some changed, others refused or rolled back.";

struct main_state {
	struct cli *cli;
	int command_index;
};

/* "  show TARGET          Show ...", the summary on a line of its own after a long synopsis. */
static void print_command_help(FILE *out, const struct command *c)
{
	int width = fprintf(out, "  %s%s%s", c->name, *c->args ? " " : "", c->args);

	if (width > 22)
		fprintf(out, "\n%23s%s\n", "", c->summary);
	else
		fprintf(out, "%*s%s\n", 23 - width, "", c->summary);
}

static char *help_filter(int key, const char *text, void *input)
{
	char *help = NULL;
	size_t size = 0;
	FILE *out;

	(void)input;
	if (key != ARGP_KEY_HELP_POST_DOC || !text)
		return (char *)text;
	out = open_memstream(&help, &size);
	if (!out)
		return (char *)text;
	fputs("Commands:\n", out);
	for (const struct command *c = commands; c->name; c++)
		print_command_help(out, c);
	fprintf(out, "\n%s", text);
	if (fclose(out) != 0) {
		free(help);
		return (char *)text;
	}
	return help;
}

static error_t parse_main(int key, char *arg, struct argp_state *state)
{
	struct main_state *ms = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = ms->cli;
		break;
	case ARGP_KEY_ARG:
		/* The command: everything from here on is the command's to parse. */
		ms->command_index = state->next - 1;
		state->next = state->argc;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child main_children[] = { { &common_argp, 0, NULL, 0 }, { 0 } };
static const struct argp main_argp = { NULL,	 parse_main,	"[COMMAND [ARG...]]",
				       main_doc, main_children, help_filter,
				       NULL };

struct positional {
	const struct command_spec *spec;
	char **args;
	int count;
};

static error_t parse_positional(int key, char *arg, struct argp_state *state)
{
	struct positional *pos = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = pos->spec->cli;
		if (pos->spec->options)
			state->child_inputs[1] = pos->spec->input;
		break;
	case ARGP_KEY_ARG:
		if (pos->count >= pos->spec->max_args)
			argp_error(state, "unexpected argument '%s'", arg);
		pos->args[pos->count++] = arg;
		break;
	case ARGP_KEY_END:
		if (pos->count < pos->spec->min_args)
			argp_error(state, "missing %s", pos->spec->args_doc);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Parses a command's arguments; common options may come before or after the command. */
int cli_parse(const struct command_spec *spec, int argc, char **argv, char ***ret_args,
	      int *ret_count)
{
	const struct argp own = { spec->options, spec->parser, NULL, NULL, NULL, NULL, NULL };
	const struct argp_child children[] = {
		{ &common_argp, 0, NULL, 0 },
		{ spec->options ? &own : NULL, 0, NULL, 0 },
		{ 0 },
	};
	const struct argp argp = { NULL,      parse_positional, spec->args_doc,
				   spec->doc, children,		NULL,
				   NULL };
	struct positional pos = { .spec = spec };

	pos.args = calloc((size_t)argc + 1, sizeof(char *));
	if (!pos.args)
		return -ENOMEM;
	argp_parse(&argp, argc, argv, 0, NULL, &pos);
	*ret_args = pos.args;
	*ret_count = pos.count;
	return 0;
}

static void print_message(const char *level, const char *format, va_list args)
{
	fprintf(stderr, "%s: %s: ", program_invocation_short_name, level);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

void cli_error(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	print_message("error", format, args);
	va_end(args);
}

void cli_warning(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	print_message("warning", format, args);
	va_end(args);
}

static void log_to_stderr(void *data, int priority, const char *file, int line, const char *fn,
			  const char *format, va_list args)
{
	const char *level = priority <= LOG_ERR	      ? "error"
			    : priority == LOG_WARNING ? "warning"
			    : priority <= LOG_INFO    ? "info"
						      : "debug";

	(void)data;
	fprintf(stderr, "%s: %s: ", program_invocation_short_name, level);
	if (priority == LOG_DEBUG)
		fprintf(stderr, "%s:%d %s: ", file, line, fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

int cli_open_context(struct cli *cli)
{
	int r = iommugrp_new(cli->sysroot, &cli->ctx);

	if (r < 0) {
		cli_error("cannot open sysroot '%s': %s", cli->sysroot ? cli->sysroot : "/",
			  strerror(-r));
		return EXIT_ERROR;
	}
	iommugrp_set_log_fn(cli->ctx, log_to_stderr, NULL);
	/* A tool shows warnings too; $IOMMUGRP_LOG may still ask for more or less. */
	if (!getenv("IOMMUGRP_LOG"))
		iommugrp_set_log_priority(cli->ctx, LOG_WARNING);
	return EXIT_OK;
}

/* Loads vfio-pci; the library says why it could not as an errno, the tool in words. */
int cli_load_vfio_pci(const struct cli *cli)
{
	int r = iommugrp_vfio_pci_load(cli->ctx);

	if (r == -ENOENT)
		cli_error("vfio-pci is neither loaded, built in nor installed as a module");
	else if (r == -EPERM)
		cli_error("vfio-pci is blacklisted (modprobe.d): remove the blacklist entry to use "
			  "it");
	else if (r == -EOPNOTSUPP)
		cli_error("cannot load modules into the kernel of another root (%s)",
			  iommugrp_get_sysroot(cli->ctx));
	else if (r == -ELIBACC || r == -ELIBBAD)
		cli_error("cannot load vfio-pci: libkmod.so.2 is missing or unusable");
	else if (r < 0)
		cli_error("cannot load vfio-pci: %s", strerror(-r));
	return r;
}

bool cli_use_color(const struct cli *cli)
{
	if (cli->json || cli->color == COLOR_NEVER)
		return false;
	if (cli->color == COLOR_ALWAYS)
		return true;
	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

/* Maps a failed target lookup to a message and an exit status. */
int cli_target_error(const struct cli *cli, const char *target, int r)
{
	unsigned int problems = cli->ctx ? iommugrp_get_problem_count(cli->ctx) : 0;
	const char *why = NULL;

	switch (r) {
	case -EINVAL:
		if (looks_like_pci_address(target))
			cli_error("'%s' is not a PCI address: expected "
				  "[DOMAIN:]BUS:DEVICE.FUNCTION "
				  "in hex, like 0000:01:00.0 or 01:00.0",
				  target);
		else
			cli_error("'%s' is not a group number, PCI address, device name or sysfs "
				  "path",
				  target);
		return EXIT_USAGE;
	case -ENOENT:
		cli_error("%s: no such IOMMU group or device", target);
		return EXIT_NOT_FOUND;
	case -ENODEV:
		cli_error("%s: the device is in no IOMMU group (is the IOMMU enabled for it?)",
			  target);
		return EXIT_NOT_FOUND;
	case -EBADMSG:
		if (problems > 0)
			iommugrp_get_problem(cli->ctx, problems - 1, NULL, NULL, &why);
		cli_error("%s: sysfs is inconsistent about this device%s%s", target,
			  why ? ": " : "", why ? why : "");
		return EXIT_ERROR;
	default:
		cli_error("%s: %s", target, strerror(-r));
		return EXIT_ERROR;
	}
}

/*
 * Problems the library met in what it read turn a clean run into an error.
 * The log shows them as they happen; when $IOMMUGRP_LOG silenced it, they are
 * listed here, so the exit status never goes unexplained.
 */
int cli_exit_status(const struct cli *cli, int status)
{
	unsigned int n = cli->ctx ? iommugrp_get_problem_count(cli->ctx) : 0;

	if (n > 0 && iommugrp_get_log_priority(cli->ctx) < LOG_ERR)
		for (unsigned int i = 0; i < n; i++) {
			const char *message;

			iommugrp_get_problem(cli->ctx, i, NULL, NULL, &message);
			cli_error("%s", message);
		}
	return status == EXIT_OK && n > 0 ? EXIT_ERROR : status;
}

/*
 * stderr as the tool writes it: control bytes but newline and tab (an escape sequence in
 * a TARGET, an option argv's getopt echoes, a byte read from a tree) become \xHH, as raw
 * output writes them, so that no message can drive the terminal.
 */
static ssize_t stderr_write(void *cookie, const char *buf, size_t size)
{
	size_t done = 0;

	(void)cookie;
	while (done < size) {
		size_t run = done;
		char esc[5];

		while (run < size &&
		       ((unsigned char)buf[run] >= 0x20 || buf[run] == '\n' || buf[run] == '\t') &&
		       buf[run] != 0x7f)
			run++;
		if (run > done && write(STDERR_FILENO, buf + done, run - done) < 0)
			return done ? (ssize_t)done : -1;
		if (run == size)
			break;
		snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)buf[run]);
		if (write(STDERR_FILENO, esc, 4) < 0)
			return -1;
		done = run + 1;
	}
	return (ssize_t)size;
}

static void escape_stderr(void)
{
	static const cookie_io_functions_t io = { .write = stderr_write };
	FILE *escaped = fopencookie(NULL, "w", io);

	if (!escaped)
		return;
	setvbuf(escaped, NULL, _IONBF, 0);
	stderr = escaped;
}

static bool output_error_reported;

/* "cannot write the output": said once, however many writers find stdout failing. */
void cli_output_error(int err)
{
	if (output_error_reported)
		return;
	output_error_reported = true;
	if (err)
		cli_error("cannot write the output: %s", strerror(err));
	else
		cli_error("cannot write the output");
}

/*
 * At exit (also argp's, after --help or --version), as coreutils' close_stdout: output
 * that never reached stdout fails the run, whichever command wrote it. A closed stdout
 * that nothing was written to is no error.
 */
static void close_stdout(void)
{
	bool pending = __fpending(stdout) > 0, failed = ferror(stdout);
	int err = 0;

	errno = 0;
	if (fclose(stdout) != 0)
		err = errno;
	if ((!err && !failed) || (err == EBADF && !pending && !failed))
		return;
	cli_output_error(err);
	_exit(EXIT_ERROR);
}

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	struct cli cli = { .color = COLOR_AUTO };
	struct main_state ms = { .cli = &cli, .command_index = -1 };
	const struct command *command;
	char *saved_argv0;
	char label[64];
	int status;

	setlocale(LC_ALL, "");
	escape_stderr();
	atexit(close_stdout);
	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&main_argp, argc, argv, ARGP_IN_ORDER, NULL, &ms) != 0)
		return EXIT_USAGE;
	if (ms.command_index < 0) {
		status = cmd_list(&cli, 1, argv);
		iommugrp_unref(cli.ctx);
		return status;
	}
	command = find_command(argv[ms.command_index]);
	if (!command) {
		cli_error("unknown command '%s'", argv[ms.command_index]);
		fprintf(stderr, "Try '%s --help' for more information.\n",
			program_invocation_short_name);
		return EXIT_USAGE;
	}
	/* argp names the program after argv[0] in its messages: "iommugrp show". */
	snprintf(label, sizeof(label), "%s %s", program_invocation_short_name, command->name);
	saved_argv0 = argv[ms.command_index];
	argv[ms.command_index] = label;
	status = command->run(&cli, argc - ms.command_index, argv + ms.command_index);
	argv[ms.command_index] = saved_argv0;
	iommugrp_unref(cli.ctx);
	return status;
}
