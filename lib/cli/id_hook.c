/*
 * id_hook.c - dcmrecv --identity-hook (see id_hook.h).
 *
 * On a request's socket (SOCK_SEQPACKET): the receiver sends a header
 * "TYPE RESPONSE\nCALLING\nPEER", then "P" + the primary field and "S" +
 * the secondary (a prefix byte each, as an empty message would read as
 * the end); the helper answers once: "A" + name + "\n" + response
 * (accepted), "R" + reason (rejected), "T" + reason (no answer in time,
 * or the command could not run).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "cli/helper_fork.h"
#include "cli/hook.h"
#include "cli/id_hook.h"
#include "net/msgpair.h"
#include "net/net.h"
#include "core/banned.h"

extern char **environ;

#define FIELD_MAX 65535u /* a sub-item's field (16-bit length) */
#define MSG_MAX (FIELD_MAX + 1u)
#define REPLY_MAX (STORESCP_USER_MAX + 2u + STORESCP_RESPONSE_MAX + 1u)
#define LATE_MS 2000u /* the helper's own slack past the bound */

struct cli_idhook {
	int fd;
	unsigned timeout_ms;
};

/* --- the helper ---------------------------------------------------------- */

struct job {
	const char *const *argv;
	unsigned timeout_ms;
	int fd;
};

/* One request as read: header, fields, and what the command printed. */
struct req {
	char head[256];
	uint8_t *in; /* primary then secondary */
	size_t plen, slen;
	uint8_t *out;
	size_t olen;
};

/* The command's environment: ours and the identity's public part. */
static char **
make_env(const struct req *r, char vars[6][128])
{
	char type[8] = "", resp[4] = "", calling[20] = "", peer[100] = "";
	size_t n = 0, i;
	char **env;

	sscanf(r->head, "%7s %3s", type, resp);
	{
		const char *nl = strchr(r->head, '\n'), *nl2;

		if (nl != NULL && (nl2 = strchr(nl + 1, '\n')) != NULL) {
			snprintf(calling, sizeof(calling), "%.*s",
			    (int)(nl2 - nl - 1), nl + 1);
			snprintf(peer, sizeof(peer), "%s", nl2 + 1);
		}
	}
	snprintf(vars[0], 128, "CSTORE_IDENTITY_TYPE=%s", type);
	snprintf(vars[1], 128, "CSTORE_IDENTITY_PRIMARY_LENGTH=%zu", r->plen);
	snprintf(vars[2], 128, "CSTORE_IDENTITY_SECONDARY_LENGTH=%zu", r->slen);
	snprintf(vars[3], 128, "CSTORE_IDENTITY_RESPONSE=%s", resp);
	snprintf(vars[4], 128, "CSTORE_CALLING_AE=%s", calling);
	snprintf(vars[5], 128, "CSTORE_PEER=%s", peer);
	while (environ[n] != NULL)
		n++;
	if ((env = cs_calloc(n + 7, sizeof(*env))) == NULL)
		return NULL;
	n = 0;
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "CSTORE_", 7) != 0)
			env[n++] = environ[i];
	for (i = 0; i < 6; i++)
		env[n++] = vars[i];
	return env;
}

/* Starts the command in its own process group: stdin from in_r,
 * stdout into out_w; returns 0 or an errno value. */
static int
spawn(const struct job *j, char **env, int in_r, int out_w, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	/* its own process group: a hook past its time is killed whole */
	if ((rc = cli_spawn_attr(&sa, POSIX_SPAWN_SETPGROUP)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	posix_spawnattr_setpgroup(&sa, 0);
	posix_spawn_file_actions_adddup2(&fa, in_r, 0);
	posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	rc = posix_spawnp(
	    pid, j->argv[0], &fa, &sa, (char *const *)j->argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	return rc;
}

/* Feeds the input and collects the output until both are done or the
 * deadline; returns 0, or -1 at the deadline. */
static int
converse(struct req *r, int in_w, int out_r, uint64_t deadline)
{
	size_t sent = 0, total = r->plen + r->slen;
	int in_open = 1, out_open = 1;

	if (total == 0) {
		close(in_w);
		in_open = 0;
	}
	while (out_open) {
		struct pollfd p[2] = { { out_r, POLLIN, 0 },
			{ in_open ? in_w : -1, POLLOUT, 0 } };
		uint64_t now = net_now_ms();
		ssize_t n;

		if (now >= deadline)
			break;
		if (poll(p, 2, (int)(deadline - now)) < 0 && errno != EINTR)
			break;
		if (in_open && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(in_w, r->in + sent, total - sent);
			if (n > 0)
				sent += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
			    sent == total) {
				close(in_w);
				in_open = 0;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			uint8_t sink[512];
			int room = r->olen < REPLY_MAX;

			n = read(out_r, room ? r->out + r->olen : sink,
			    room ? REPLY_MAX - r->olen : sizeof(sink));
			if (n > 0 && room)
				r->olen += (size_t)n;
			else if (n > 0)
				r->olen = REPLY_MAX + 1; /* too much */
			else if (n == 0 || (errno != EAGAIN && errno != EINTR))
				out_open = 0;
		}
	}
	if (in_open)
		close(in_w);
	return out_open ? -1 : 0;
}

/* Waits for pid until the deadline; kills its group after it.  Returns
 * its status, or -1 when it had to be killed.  A pidfd wakes us at the
 * exit (the helper is not confined: no seccomp filter to mind); kernels
 * before 5.3 have none, and pid is looked at every 10 ms instead. */
static int
reap(pid_t pid, uint64_t deadline)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), st = 0;

	for (;;) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		pid_t got = waitpid(pid, &st, WNOHANG);
		uint64_t now = net_now_ms(), left;

		if (got == pid || (got < 0 && errno != EINTR)) {
			if (pfd >= 0)
				close(pfd);
			return got == pid ? st : -1;
		}
		if (now >= deadline)
			break;
		left = deadline - now;
		if (pfd < 0 && left > 10)
			left = 10;
		(void)poll(&p, pfd >= 0, (int)left);
	}
	if (pfd >= 0)
		close(pfd);
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* Runs the command for r; the answer into reply (size REPLY_MAX + 2). */
static size_t
run(const struct job *j, struct req *r, char *reply)
{
	char vars[6][128];
	char **env = make_env(r, vars);
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc, st;
	uint64_t deadline = net_now_ms() + j->timeout_ms;
	pid_t pid;

	if (env == NULL || pipe2(in, O_CLOEXEC) != 0 ||
	    pipe2(out, O_CLOEXEC) != 0) {
		int e = env == NULL ? ENOMEM : errno;

		cs_free(env);
		if (in[0] >= 0) {
			close(in[0]);
			close(in[1]);
		}
		return (size_t)snprintf(reply, 128,
		    "Tcannot run the --identity-hook: %s", strerror(e));
	}
	rc = spawn(j, env, in[0], out[1], &pid);
	cs_free(env);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		return (size_t)snprintf(reply, 128, "Tcannot run '%s': %s",
		    j->argv[0], strerror(rc));
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	rc = converse(r, in[1], out[0], deadline);
	close(out[0]);
	if (rc != 0) /* its group too: whatever still holds the output */
		kill(-pid, SIGKILL);
	st = reap(pid, rc == 0 ? deadline : 0);
	if (rc != 0 || st < 0)
		return (size_t)snprintf(reply, 128,
		    "Tthe --identity-hook did not answer within %u s: killed",
		    (j->timeout_ms + 999) / 1000);
	if (WIFSIGNALED(st))
		return (size_t)snprintf(reply, 128,
		    "Rthe --identity-hook was killed by signal %d",
		    WTERMSIG(st));
	if (WEXITSTATUS(st) != 0)
		return (size_t)snprintf(reply, 128,
		    "Rthe --identity-hook rejected it (exit status %d)",
		    WEXITSTATUS(st));
	if (r->olen > REPLY_MAX)
		return (size_t)snprintf(reply, 128,
		    "Rthe --identity-hook printed more than %u bytes",
		    REPLY_MAX);
	reply[0] = 'A';
	memcpy(reply + 1, r->out, r->olen);
	return r->olen + 1;
}

/* Reads one "P"/"S" field message into r->in at off; its length, or
 * -1. */
static ssize_t
read_field(int fd, char tag, uint8_t *buf, uint8_t *to)
{
	ssize_t n = net_msg_recv(fd, buf, MSG_MAX);

	if (n < 1 || buf[0] != (uint8_t)tag)
		return -1;
	memcpy(to, buf + 1, (size_t)n - 1);
	return n - 1;
}

/* One request, on its own thread. */
static void *
serve(void *arg)
{
	struct job *j = arg;
	struct req r;
	uint8_t *msg = cs_malloc(MSG_MAX);
	char *reply = cs_malloc(REPLY_MAX + 2);
	ssize_t n, p = -1, s = -1;

	memset(&r, 0, sizeof(r));
	r.in = cs_malloc(2 * FIELD_MAX);
	r.out = cs_malloc(REPLY_MAX);
	if (msg != NULL && reply != NULL && r.in != NULL && r.out != NULL &&
	    (n = net_msg_recv(j->fd, r.head, sizeof(r.head) - 1)) > 0) {
		r.head[n] = '\0';
		if ((p = read_field(j->fd, 'P', msg, r.in)) >= 0)
			s = read_field(j->fd, 'S', msg, r.in + p);
	}
	if (s >= 0) {
		r.plen = (size_t)p;
		r.slen = (size_t)s;
		n = (ssize_t)run(j, &r, reply);
		(void)net_msg_send(j->fd, reply, (size_t)n);
	}
	if (r.in != NULL)
		explicit_bzero(r.in, 2 * FIELD_MAX);
	if (msg != NULL)
		explicit_bzero(msg, MSG_MAX);
	if (r.out != NULL)
		explicit_bzero(r.out, REPLY_MAX);
	if (reply != NULL)
		explicit_bzero(reply, REPLY_MAX + 2);
	cs_free(r.in);
	cs_free(r.out);
	cs_free(msg);
	cs_free(reply);
	close(j->fd);
	cs_free(j);
	return NULL;
}

static void __attribute__((noreturn))
helper(const char *const *argv, unsigned timeout_ms)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN); /* a command that leaves its input unread */
	for (;;) {
		struct job *j;
		int fd;
		ssize_t n = net_msg_recv_fd(CLI_HELPER_FD, &fd);

		if (n <= 0)
			break;
		if (fd < 0)
			continue;
		if ((j = cs_malloc(sizeof(*j))) == NULL) {
			close(fd);
			continue;
		}
		*j = (struct job){ argv, timeout_ms, fd };
		if (net_thread_detached(serve, j, 0) != 0)
			serve(j);
	}
	/* the receiver has gone: requests under way end on their own */
	pthread_exit(NULL);
}

struct cli_idhook *
cli_idhook_start(const char *const *argv, unsigned timeout_ms)
{
	struct cli_idhook *h = cs_calloc(1, sizeof(*h));
	pid_t pid;

	if (h == NULL)
		return NULL;
	pid = cli_helper_fork(&h->fd);
	if (pid == 0)
		helper(argv, timeout_ms);
	if (pid < 0) {
		cs_free(h);
		return NULL;
	}
	h->timeout_ms = timeout_ms;
	return h;
}

void
cli_idhook_close(struct cli_idhook *h)
{
	if (h == NULL)
		return;
	close(h->fd);
	cs_free(h);
}

/* --- the receiver's side ------------------------------------------------- */

/* Sends tag + field; the copy wiped. */
static int
send_field(int fd, char tag, const uint8_t *p, size_t len, uint8_t *buf)
{
	int rc;

	buf[0] = (uint8_t)tag;
	if (len > 0)
		memcpy(buf + 1, p, len);
	rc = net_msg_send(fd, buf, len + 1);
	explicit_bzero(buf, len + 1);
	return rc;
}

/* Sends the request on fd; 0 or -1. */
static int
send_request(int fd, const struct storescp_identity *id)
{
	char head[256];
	uint8_t *buf = cs_malloc(MSG_MAX);
	int n, rc = -1;

	n = snprintf(head, sizeof(head), "%u %d\n%s\n%s", id->type,
	    id->response_requested, id->calling_ae ? id->calling_ae : "",
	    id->peer ? id->peer : "");
	if (buf != NULL && id->primary_len <= FIELD_MAX &&
	    id->secondary_len <= FIELD_MAX && n > 0 &&
	    net_msg_send(fd, head, strlen(head)) == 0 &&
	    send_field(fd, 'P', id->primary, id->primary_len, buf) == 0 &&
	    send_field(fd, 'S', id->secondary, id->secondary_len, buf) == 0)
		rc = 0;
	cs_free(buf);
	return rc;
}

/* s (n bytes) as a printable name, cut to fit out. */
static void
printable(
    char *out, size_t size, const char *prefix, const uint8_t *s, size_t n)
{
	size_t o = (size_t)snprintf(out, size, "%s", prefix);

	for (size_t i = 0; i < n && o + 1 < size; i++)
		out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[o < size ? o : size - 1] = '\0';
}

/* An "A" answer: the name and the server response; 0, or -1 (the
 * reason in why) when the response does not fit the room given. */
static int
accepted(const struct storescp_identity *id, const uint8_t *a, size_t n,
    char *name, size_t name_size, char *why, size_t why_size)
{
	static const char *const kind[] = { "", "", "",
		"kerberos:", "saml:", "jwt:" };
	const uint8_t *nl = memchr(a, '\n', n);
	size_t line = nl ? (size_t)(nl - a) : n;
	const uint8_t *rest = nl ? nl + 1 : a + n;
	size_t rlen = (size_t)(a + n - rest);

	/* cut or dropped, it would be a different answer than the hook's */
	if (id->response != NULL && rlen > id->response_size) {
		snprintf(why, why_size,
		    "the --identity-hook printed a server response of %zu bytes (at most %zu)",
		    rlen, id->response_size);
		return -1;
	}
	if (id->type >= 3 && id->type <= 5)
		printable(name, name_size, kind[id->type], a, line);
	else if (line > 0)
		printable(name, name_size, "", a, line);
	else
		printable(name, name_size, "", id->primary, id->primary_len);
	if (id->response != NULL && id->response_len != NULL) {
		if (rlen > 0)
			memcpy(id->response, rest, rlen);
		*id->response_len = rlen;
	}
	return 0;
}

/* 1 when fd has something to read within ms (signals retried). */
static int
wait_reply(int fd, unsigned ms)
{
	uint64_t deadline = net_now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = net_now_ms();
		int rc;

		if (now >= deadline)
			return 0;
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return 1;
		if (rc == 0 || errno != EINTR)
			return 0;
	}
}

int
cli_idhook_check(void *user, const struct storescp_identity *id, char *name,
    size_t name_size, char *why, size_t why_size)
{
	struct cli_idhook *h = user;
	uint8_t *reply = cs_malloc(REPLY_MAX + 2);
	ssize_t n = -1;
	int sv[2], rc;

	if (reply == NULL) {
		snprintf(why, why_size, "--identity-hook: out of memory");
		return -2;
	}
	if (net_msgpair(sv) != 0) {
		snprintf(why, why_size, "--identity-hook: %s", strerror(errno));
		cs_free(reply);
		return -2;
	}
	rc = net_msg_send_fd(h->fd, sv[1]);
	close(sv[1]);
	if (rc == 0)
		rc = send_request(sv[0], id);
	if (rc == 0 && wait_reply(sv[0], h->timeout_ms + LATE_MS))
		n = net_msg_recv(sv[0], reply, REPLY_MAX + 1);
	close(sv[0]);
	if (n < 1) {
		snprintf(why, why_size,
		    rc != 0 ? "the --identity-hook helper has gone"
			    : "the --identity-hook did not answer in time");
		rc = -2;
	} else if (reply[0] == 'A') {
		rc = accepted(id, reply + 1, (size_t)n - 1, name, name_size,
		    why, why_size);
	} else {
		printable(why, why_size, "", reply + 1, (size_t)n - 1);
		rc = reply[0] == 'T' ? -2 : -1;
	}
	explicit_bzero(reply, REPLY_MAX + 2);
	cs_free(reply);
	return rc;
}
