/*
 * mapguard.h - reading a file through a mapping while another process
 * may shorten the file.
 *
 * A page of a MAP_SHARED or MAP_PRIVATE file mapping past the file's
 * end is SIGBUS when touched, and a sender's input can be cut short at
 * any time (a `cp` over it truncates it first, a writer rotates it).
 * The transcoder walks its input's mapping in our own code, so the
 * process would die with every result line unwritten.  A guarded
 * mapping is instead read on as zeros from the page that faulted to its
 * end (an anonymous mapping put in its place by the SIGBUS handler) and
 * the fault is remembered: the caller asks mapguard_remove whether one
 * came, and treats what it read as a file that shrank.
 *
 * The libraries never change signal handling (storescu.h): the program
 * asks for the handler with mapguard_install (dcmsend does, through
 * lib/cli); without it mapguard_add guards nothing.  A SIGBUS at an
 * address no guard holds is left to the default action, as before.
 */
#ifndef CS_DCMFILE_MAPGUARD_H
#define CS_DCMFILE_MAPGUARD_H

#include <stddef.h>

/*
 * Installs the SIGBUS handler, once; a fault outside every guard goes to
 * the action there was before (the default, or a sanitizer's handler).
 * Not when SIGBUS is ignored.  Returns 1 when the handler is in place,
 * else 0.  Thread-safe.
 */
int mapguard_install(void);

/*
 * Guards the mapping [addr, addr + len) (page-aligned addr, as mmap
 * returns it) until mapguard_remove.  Returns a handle >= 0, or -1 when
 * it cannot be guarded (every slot in use, no mapguard_install): the
 * mapping is then read as without this module.
 */
int mapguard_add(const void *addr, size_t len);

/*
 * Ends guard g (before the mapping is unmapped; -1 is ignored).
 * Returns 1 if a SIGBUS past the file's end was absorbed in it (what
 * was read from the page that faulted on is zeros: the file shrank
 * while it was read), else 0.
 */
int mapguard_remove(int g);

#endif
