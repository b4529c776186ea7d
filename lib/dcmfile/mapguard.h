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
 * installs the SIGBUS handler that calls mapguard_absorb, then
 * mapguard_enable (dcmsend does, through lib/cli); before that
 * mapguard_add guards nothing.  A SIGBUS at an address no guard holds
 * is the handler's to pass on to the action before it.
 */
#ifndef CS_DCMFILE_MAPGUARD_H
#define CS_DCMFILE_MAPGUARD_H

#include <signal.h>
#include <stddef.h>

/* Mappings guarded at once (a conversion each, per lane and worker);
 * one more waits for a slot (mapguard_add). */
#define MAPGUARD_SLOTS 64

/* Guards from now on (the handler is in place); disable: no more
 * (async-signal-safe: the handler gave up its place). */
void mapguard_enable(void);
void mapguard_disable(void);

/*
 * For the SIGBUS handler (async-signal-safe): 1 when si is a fault past
 * a guarded mapping's file end (BUS_ADRERR), now read as zeros from the
 * page that faulted to the mapping's end, the access to be made again;
 * else 0, nothing done.
 */
int mapguard_absorb(const siginfo_t *si);

/*
 * Guards the mapping [addr, addr + len) (page-aligned addr, as mmap
 * returns it) until mapguard_remove.  Returns a handle >= 0, waiting
 * for a guard to end when every slot is in use (a mapping is never read
 * unguarded while enabled); -1 when not enabled: the mapping is then
 * read as without this module.
 */
int mapguard_add(const void *addr, size_t len);

/*
 * Ends guard g (before the mapping is unmapped; -1 is ignored).
 * Returns 1 if a SIGBUS was absorbed in it (what was read from the page
 * that faulted on is zeros: the file shrank, or a page of it could not
 * be read), else 0.
 */
int mapguard_remove(int g);

#endif
