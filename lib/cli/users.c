/* users.c - the users file and passcode hashes (see users.h). */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cli/users.h"
#include "dcmfile/infile.h"
#include "core/banned.h"

#define NAME_MAX_LEN STORESCP_USER_MAX
#define MAX_USERS 100000

struct user {
	char *name; /* points into the line it was read from */
	char *hash; /* "" = no passcode needed */
};

struct cli_users {
	struct user *u;
	size_t n, cap;
};

void
cli_users_free(struct cli_users *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		explicit_bzero(t->u[i].hash, strlen(t->u[i].hash));
		free(t->u[i].name);
	}
	free(t->u);
	free(t);
}

static int
name_ok(const char *s, size_t n)
{
	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == ':')
			return 0;
	return 1;
}

/* One line (modified, owned by t from here on): 0, or a message. */
static int
add_line(struct cli_users *t, char *line, size_t lineno, struct cs_err *err)
{
	char *colon = strchr(line, ':');
	struct user *grown;

	if (colon == NULL || !name_ok(line, (size_t)(colon - line)))
		return cs_err_set(err, CS_E_INVAL,
		    "line %zu: expected NAME:HASH (a name of 1-%d bytes, no ':' or control character)",
		    lineno, NAME_MAX_LEN);
	*colon = '\0';
	if (colon[1] != '\0' && colon[1] != '$')
		return cs_err_set(err, CS_E_INVAL,
		    "line %zu: user '%s': the hash is not a crypt(3) hash ('$y$...', '$6$...'; make one with --hash-password)",
		    lineno, line);
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->u[i].name, line) == 0)
			return cs_err_set(err, CS_E_INVAL,
			    "line %zu: user '%s' again", lineno, line);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		if (cap > MAX_USERS ||
		    (grown = realloc(t->u, cap * sizeof(*grown))) == NULL)
			return cs_err_set(err, CS_E_NOMEM, "too many users");
		t->u = grown;
		t->cap = cap;
	}
	t->u[t->n].name = line;
	t->u[t->n].hash = colon + 1;
	t->n++;
	return 0;
}

static int
read_lines(struct cli_users *t, FILE *f, const char *path, struct cs_err *err)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		/* the text ends at a NUL byte: "alice:" and a NUL before
		 * her hash would read as a user who needs no passcode */
		if (memchr(line, '\0', (size_t)n) != NULL) {
			rc = cs_err_set(err, CS_E_INVAL,
			    "line %zu: a NUL byte (a users file is text)",
			    lineno);
			break;
		}
		if ((rc = add_line(t, line, lineno, err)) == 0) {
			line = NULL; /* kept */
			cap = 0;
		}
	}
	if (rc == 0 && ferror(f))
		rc = cs_err_set(err, CS_E_IO, "cannot read '%s': %s", path,
		    strerror(errno));
	if (line != NULL) {
		explicit_bzero(line, cap);
		free(line);
	}
	return rc;
}

int
cli_users_load(struct cli_users **out, const char *path, struct cs_err *err)
{
	struct cli_users *t;
	struct cs_err why = { 0, "" };
	FILE *f;
	int fd, rc;

	*out = NULL;
	/* infile_open: a FIFO or a device (/dev/zero) would block or never
	 * end, at the start and at each SIGHUP; only a regular file is read */
	if ((fd = infile_open(path, &why)) < 0)
		return cs_err_set(
		    err, CS_E_IO, "the users file '%s': %s", path, why.msg);
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		fclose(f);
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	rc = read_lines(t, f, path, err);
	fclose(f);
	if (rc == 0 && t->n == 0)
		rc = cs_err_set(
		    err, CS_E_INVAL, "the users file '%s' names no user", path);
	if (rc != 0) {
		cli_users_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* Equal strings, in a time that depends on their lengths only. */
static int
same(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), n = na > nb ? na : nb;
	unsigned char d = na != nb;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(i < na ? a[i] : 0) ^
		    (unsigned char)(i < nb ? b[i] : 0);
	return d == 0;
}

int
cli_password_matches(const char *hash, const uint8_t *pw, size_t len)
{
	char phrase[CRYPT_MAX_PASSPHRASE_SIZE];
	struct crypt_data *cd;
	int ok = 0;

	if (len >= sizeof(phrase) || memchr(pw, '\0', len) != NULL)
		return 0;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return 0;
	memcpy(phrase, pw, len);
	phrase[len] = '\0';
	/* crypt_rn: NULL (never a "*0" string) when it cannot hash */
	if (crypt_rn(phrase, hash, cd, (int)sizeof(*cd)) != NULL)
		ok = same(cd->output, hash);
	explicit_bzero(phrase, sizeof(phrase));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* The name for messages: printable, cut. */
static void
shown(const struct storescp_identity *id, char *out, size_t size)
{
	size_t i, n = id->primary_len < 64 ? id->primary_len : 64;

	for (i = 0; i < n && i + 1 < size; i++)
		out[i] = id->primary[i] >= 0x20 && id->primary[i] < 0x7f
		    ? (char)id->primary[i]
		    : '?';
	out[i] = '\0';
}

static const struct user *
find(const struct cli_users *t, const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->u[i].name) == len &&
		    memcmp(t->u[i].name, name, len) == 0)
			return &t->u[i];
	return NULL;
}

/*
 * An unknown user costs one hash as well, so that timing does not tell
 * which names exist: a yescrypt setting of the default cost.
 */
static const char decoy[] = "$y$j9T$aMrX8Ah3tgP9VHLVmmmst0";

int
cli_users_check(void *users, const struct storescp_identity *id, char *name,
    size_t name_size, char *why, size_t why_size)
{
	static const char *const kind[] = { "", "", "", "Kerberos ticket",
		"SAML assertion", "JSON web token" };
	const struct user *u;
	char who[80];

	if (id->type < 1 || id->type > 2) {
		snprintf(why, why_size,
		    "user identity type %u (%s) not supported: only a user name, with or without a passcode (types 1, 2)",
		    id->type, id->type <= 5 ? kind[id->type] : "unknown");
		return -1;
	}
	shown(id, who, sizeof(who));
	u = find(users, id->primary, id->primary_len);
	if (u == NULL) {
		(void)cli_password_matches(
		    decoy, id->secondary, id->secondary_len);
		snprintf(why, why_size, "unknown user '%s'", who);
		return -1;
	}
	if (u->hash[0] != '\0') {
		if (id->type == 1) {
			snprintf(why, why_size,
			    "user '%s' sent no passcode (identity type 1); one is needed",
			    who);
			return -1;
		}
		if (!cli_password_matches(
			u->hash, id->secondary, id->secondary_len)) {
			snprintf(
			    why, why_size, "user '%s': wrong passcode", who);
			return -1;
		}
	}
	snprintf(name, name_size, "%s", u->name);
	return 0;
}

int
cli_password_hash(const char *method, const char *pw, char *out, size_t size,
    struct cs_err *err)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *prefix;
	int rc = 0;

	if (method == NULL || strcmp(method, "yescrypt") == 0)
		prefix = "$y$";
	else if (strcmp(method, "sha512") == 0)
		prefix = "$6$";
	else
		return cs_err_set(err, CS_E_INVAL,
		    "hash method '%s': expected yescrypt or sha512", method);
	if (strlen(pw) >= CRYPT_MAX_PASSPHRASE_SIZE)
		return cs_err_set(err, CS_E_INVAL,
		    "a passcode of at most %d bytes",
		    CRYPT_MAX_PASSPHRASE_SIZE - 1);
	if (crypt_gensalt_rn(prefix, 0, NULL, 0, setting, sizeof(setting)) ==
	    NULL)
		return cs_err_set(
		    err, CS_E_IO, "cannot make a salt: %s", strerror(errno));
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	if (crypt_rn(pw, setting, cd, (int)sizeof(*cd)) == NULL ||
	    cd->output[0] != '$')
		rc = cs_err_set(err, CS_E_IO, "cannot hash the passcode: %s",
		    strerror(errno));
	else if (snprintf(out, size, "%s", cd->output) >= (int)size)
		rc = cs_err_set(err, CS_E_INVAL, "hash too long");
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}
