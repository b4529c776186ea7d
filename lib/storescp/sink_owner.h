/*
 * sink_owner.h - who owns a named temporary file, so that a startup
 * sweep removes only the debris of receivers that are gone.
 *
 * Where the file system has no O_TMPFILE, a temporary file has a name,
 * and a receiver killed with SIGKILL leaves it behind.  Its name then
 * says who made it:
 *
 *   .cstore-tmp-BOOT.PIDNS.PID.START.RANDOM
 *
 * BOOT is the first 8 hex digits of the kernel's boot_id, PIDNS the
 * inode of the owner's PID namespace, PID its process ID and START its
 * start time in clock ticks after boot (/proc/PID/stat field 22: a
 * reused PID has another).  A file is debris only when its owner is
 * known to be gone:
 *   - same boot, same PID namespace: /proc/PID is gone or START differs;
 *   - another boot: the file was last written before this boot began
 *     (a writer on another machine sharing the directory keeps writing;
 *     one stalled for longer than our uptime is taken for gone);
 *   - anything else (another PID namespace of this boot, a name we did
 *     not make, no /proc): kept.
 *
 * Ownership: no state but a process-wide identity computed once.
 */
#ifndef CS_STORESCP_SINK_OWNER_H
#define CS_STORESCP_SINK_OWNER_H

#include <stddef.h>
#include <time.h>

/* Longest owner text: 8 + 1 + 20 + 1 + 10 + 1 + 20, and the NUL. */
#define SINK_OWNER_MAX 64

/*
 * Writes this process's owner text ("BOOT.PIDNS.PID.START") to out
 * (size SINK_OWNER_MAX).  Returns 0, or -1 when /proc cannot say
 * (then out gets "0.0.PID.0", which no sweep ever removes).
 */
int sink_owner_self(char *out, size_t outsz);

/*
 * Is the temporary file name (a directory entry, SINK_TMP_PREFIX
 * included) debris, given its mtime?  1 yes, 0 no (alive, unknown, not
 * our format).
 */
int sink_owner_gone(const char *name, time_t mtime);

#endif
