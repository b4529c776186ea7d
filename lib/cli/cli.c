/* cli.c - option values, usage errors and output helpers for cmd/. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "dcmfile/mapguard.h"

const char *
cli_progname(void)
{
	return program_invocation_short_name;
}

/* Fills a closed descriptor 0-2 with /dev/null (cli_process_start). */
static void
keep_std_fd(int fd)
{
	int nfd;

	if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
		return;
	/* input write-only and output read-only: reading or writing them
	 * still fails (a closed standard output is exit 6); standard
	 * error takes what is written and drops it, as for the commands
	 * dcmrecv --exec starts, whose output goes there */
	nfd = open("/dev/null", fd == STDOUT_FILENO ? O_RDONLY : O_WRONLY);
	if (nfd == fd)
		return;
	if (nfd < 0 || dup2(nfd, fd) != fd) {
		/* stderr may be the one closed: nothing to say this on */
		_exit(EXIT_INTERNAL);
	}
	close(nfd);
}

void
cli_process_start(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
		keep_std_fd(fd);
	signal(SIGXFSZ, SIG_IGN);
}

static struct sigaction bus_prev; /* SIGBUS's action before ours */

/* A fault the access that caused it raises again on return (not one
 * sent by kill or sigqueue, si_code <= 0, nor a machine check of memory
 * nobody touched, BUS_MCEERR_AO). */
static int
bus_fault(const siginfo_t *si)
{
	return si->si_code == BUS_ADRALN || si->si_code == BUS_ADRERR ||
	    si->si_code == BUS_OBJERR || si->si_code == BUS_MCEERR_AR;
}

/*
 * A guarded mapping's SIGBUS reads on as zeros (mapguard.h).  Any other:
 * the action before ours (the default, or a sanitizer's handler) takes
 * it, as without us: a fault is raised again by the access once that
 * action is back; a signal sent goes to the handler before ours, or is
 * raised again under the default.  Only async-signal-safe calls.
 */
static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	int e = errno;

	if (mapguard_absorb(si))
		return;
	if (!bus_fault(si) && (bus_prev.sa_flags & SA_SIGINFO)) {
		bus_prev.sa_sigaction(sig, si, uc);
	} else if (!bus_fault(si) && bus_prev.sa_handler != SIG_DFL) {
		bus_prev.sa_handler(sig);
	} else {
		/* ours gone: nothing guarded from now on */
		mapguard_disable();
		sigaction(sig, &bus_prev, NULL);
		if (!bus_fault(si))
			raise(sig);
	}
	errno = e;
}

void
cli_guard_input_mappings(void)
{
	static int once;
	struct sigaction sa;

	if (once++)
		return;
	/* ignored: left so (a fault then kills as it would have) */
	if (sigaction(SIGBUS, NULL, &bus_prev) != 0 ||
	    (!(bus_prev.sa_flags & SA_SIGINFO) &&
		bus_prev.sa_handler == SIG_IGN))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) == 0)
		mapguard_enable();
}

/* DCMTK's spellings of options the tools have under another name
 * (dcmsend, storescu, echoscu: -aet, -aec; dcmrecv, storescp: -od). */
static const struct {
	const char *dcmtk, *ours;
} dcmtk_opts[] = {
	{ "-aet", "aet" },
	{ "-aec", "aec" },
	{ "-od", "output-dir" },
};

/* c, which getopt just returned for argv[optind - 1], or the option a
 * DCMTK spelling of it names (getopt took "-aet X" for "-a et"): then
 * its value is the next word. */
static int
dcmtk_spelling(int c, int argc, char **argv, const struct option *longopts)
{
	const char *word;
	size_t i;
	int j;

	if (optarg == NULL || optind < 1 || optind > argc)
		return c;
	word = argv[optind - 1];
	if (optarg != word + 2)
		return c; /* not glued to the option letter */
	for (i = 0; i < sizeof(dcmtk_opts) / sizeof(dcmtk_opts[0]); i++) {
		if (strcmp(word, dcmtk_opts[i].dcmtk) != 0)
			continue;
		for (j = 0; longopts != NULL && longopts[j].name != NULL; j++) {
			if (strcmp(longopts[j].name, dcmtk_opts[i].ours) != 0 ||
			    longopts[j].has_arg != required_argument ||
			    longopts[j].flag != NULL)
				continue;
			if (optind >= argc)
				cli_usage_error(
				    "option '%s' (--%s) requires an argument",
				    word, longopts[j].name);
			optarg = argv[optind++];
			return longopts[j].val;
		}
	}
	return c;
}

int
cli_getopt(
    int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	if (argc > 0)
		argv[0] = program_invocation_short_name;
	return dcmtk_spelling(
	    getopt_long(argc, argv, shortopts, longopts, NULL), argc, argv,
	    longopts);
}

int
cli_try_parse_num(
    const char *str, int base, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (str == NULL || *str == '\0' || *str == ' ' || *str == '\t')
		return -1;
	errno = 0;
	v = strtoll(str, &end, base);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

long long
cli_parse_num(const char *str, long long min, long long max, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(str, &end, 10);
	if (*str == '\0' || *end != '\0')
		cli_usage_error("%s '%s': not a number", what, str);
	if (errno == ERANGE || v < min || v > max)
		cli_usage_error(
		    "%s '%s': out of range (%lld-%lld)", what, str, min, max);
	return v;
}

void
cli_help_hint(void)
{
	fprintf(stderr, "Try '%s --help'.\n", cli_progname());
}

void
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_progname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_help_hint();
	exit(EXIT_USAGE);
}

void
cli_print_version(void)
{
	printf("%s (cstore) %s\n", cli_progname(), CS_VERSION);
	exit(cli_flush_stdout("the version") != 0 ? EXIT_OUTPUT : EXIT_OK);
}

void
cli_tsv_field(FILE *f, const char *s)
{
	while (s != NULL && *s != '\0') {
		/* plain runs in one call: fputc per byte locks per byte */
		size_t n = strcspn(s, "\t\n\r\\");

		if (n > 0) {
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		switch (*s++) {
		case '\t':
			fputs("\\t", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default: /* the backslash: strcspn stops at nothing else */
			fputs("\\\\", f);
		}
	}
}

void
cli_tsv_line(FILE *f, int n, const char *const *fields)
{
	int i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc('\t', f);
		cli_tsv_field(f, fields[i]);
	}
	fputc('\n', f);
	fflush(f);
}

long
cli_read_record(FILE *f, char **buf, size_t *cap, int nul_sep)
{
	ssize_t n = getdelim(buf, cap, nul_sep ? '\0' : '\n', f);

	if (n < 0)
		return -1;
	if (n > 0 && (*buf)[n - 1] == (nul_sep ? '\0' : '\n'))
		(*buf)[--n] = '\0';
	if (!nul_sep && n > 0 && (*buf)[n - 1] == '\r')
		(*buf)[--n] = '\0';
	return (long)n;
}

int
cli_split_tabs(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;

	while (n < max) {
		fields[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}
