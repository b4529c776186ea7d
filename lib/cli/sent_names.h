/*
 * sent_names.h - the names dcmsend --follow --remove-sent has removed
 * after their files were stored, so that a later line of the same name
 * (a spool that got the instance again while it was in flight: the
 * pipe holds the path twice, one file) is known as sent, not called
 * unreadable.  Bounded: the last SENT_NAMES_MAX removals, as 64-bit
 * hashes of the path.  Thread-safe.
 */
#ifndef CS_CLI_SENT_NAMES_H
#define CS_CLI_SENT_NAMES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SENT_NAMES_MAX 16384

struct sent_names {
	pthread_mutex_t mu;
	uint64_t ring[SENT_NAMES_MAX];
	size_t n, head;
};

void sent_names_init(struct sent_names *s);
/* path was stored and then removed by us */
void sent_names_add(struct sent_names *s, const char *path);
/* 1 when nothing is at path (ENOENT) and it is one we removed */
int sent_names_gone(struct sent_names *s, const char *path);

#endif
