/* privdrop.c - dcmrecv --user (see privdrop.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "cli/privdrop.h"
#include "core/banned.h"

/* Can uid (with gid and its groups, set already) write beneath dir?
 * Asked as that user for a moment, so that a refusal leaves us as we
 * were (root may still remove the port file).  0, or an errno value. */
static int
writable_as(const char *dir, uid_t uid, gid_t gid)
{
	gid_t egid = getegid();
	uid_t euid = geteuid();
	int e = 0;

	if (setegid(gid) != 0 || seteuid(uid) != 0)
		return errno;
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0)
		e = errno;
	if (seteuid(euid) != 0 || setegid(egid) != 0)
		return errno;
	return e;
}

static int
dir_error(const char *name, const char *dir, int e, struct cs_err *err)
{
	return cs_err_set(err, CS_E_IO,
	    "--user '%s': cannot write the output directory '%s': %s", name,
	    dir, strerror(e));
}

int
cli_drop_privileges(const char *name, const char *dir, struct cs_err *err)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	int e;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		return cs_err_set(err, CS_E_INVAL, "--user '%s': %s", name,
		    errno != 0 ? strerror(errno) : "no such user");
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	/* already that user (not root): nothing to give up */
	if (getuid() != 0 && getuid() == uid)
		return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0
		    ? dir_error(name, dir, errno, err)
		    : 0;
	/* group list first, user id last: each needs root */
	if (initgroups(name, gid) != 0)
		return cs_err_set(
		    err, CS_E_IO, "--user '%s': %s", name, strerror(errno));
	if ((e = writable_as(dir, uid, gid)) != 0)
		return dir_error(name, dir, e, err);
	if (setgid(gid) != 0 || setuid(uid) != 0)
		return cs_err_set(
		    err, CS_E_IO, "--user '%s': %s", name, strerror(errno));
	/* no way back, as after OpenSSH's privilege drop */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return cs_err_set(
		    err, CS_E_IO, "--user '%s': root could be regained", name);
	return 0;
}
