/* sent_names.c - names removed after their files were sent (sent_names.h). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/sent_names.h"
#include "core/strmap.h"

#include "core/banned.h"

/* Names are kept as hashes (strmap's): the paths come from our own
 * input; a collision only names a missing file sent instead of
 * unreadable. */
static uint64_t
hash(const char *p)
{
	return strmap_hash(p, strlen(p));
}

void
sent_names_init(struct sent_names *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
}

void
sent_names_add(struct sent_names *s, const char *path)
{
	pthread_mutex_lock(&s->mu);
	s->ring[s->head] = hash(path);
	s->head = (s->head + 1) % SENT_NAMES_MAX;
	if (s->n < SENT_NAMES_MAX)
		s->n++;
	pthread_mutex_unlock(&s->mu);
}

int
sent_names_gone(struct sent_names *s, const char *path)
{
	struct stat st;
	uint64_t h;
	size_t k;
	int found = 0;

	/* a file there is sent as any other; only a missing one is looked
	 * up (rare: the scan costs nothing on the common path) */
	if (lstat(path, &st) == 0 || errno != ENOENT)
		return 0;
	h = hash(path);
	pthread_mutex_lock(&s->mu);
	for (k = 0; k < s->n && !found; k++)
		found = s->ring[k] == h;
	pthread_mutex_unlock(&s->mu);
	return found;
}
