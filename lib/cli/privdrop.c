/* privdrop.c - dcmrecv --user (see privdrop.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "cli/privdrop.h"
#include "core/banned.h"

int
cli_drop_privileges(const char *name, const char *dir, struct cs_err *err)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		return cs_err_set(err, CS_E_INVAL, "--user '%s': %s", name,
		    errno != 0 ? strerror(errno) : "no such user");
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	/* already that user (not root): nothing to give up */
	if (getuid() == 0 || getuid() != uid) {
		/* group list first, user id last: each needs root */
		if (initgroups(name, gid) != 0 || setgid(gid) != 0 ||
		    setuid(uid) != 0)
			return cs_err_set(err, CS_E_IO, "--user '%s': %s", name,
			    strerror(errno));
		/* no way back, as after OpenSSH's privilege drop */
		if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
			return cs_err_set(err, CS_E_IO,
			    "--user '%s': root could be regained", name);
	}
	if (access(dir, W_OK | X_OK) != 0)
		return cs_err_set(err, CS_E_IO,
		    "--user '%s': cannot write the output directory '%s': %s",
		    name, dir, strerror(errno));
	return 0;
}
