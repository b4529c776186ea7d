/*
 * dicomdir_inputs.h - dcmsend --read-from-dicomdir: the DICOMDIRs among
 * the inputs, each followed by the files its records reference.
 *
 * Which inputs are read as DICOMDIRs: a file operand (whatever its name)
 * and, met in a walk or a list, a file named DICOMDIR in any case
 * (PS3.10 8.6 reserves that name); each only when its File Meta
 * Information says Media Storage Directory Storage.  Anything else stays
 * an input as it was.
 *
 * Where a reference points: its components joined under the directory
 * that holds the DICOMDIR, spelled as the DICOMDIR's path was given.
 * Media are often copied to a file system of another case: when that
 * path does not exist, each missing component is looked up in its
 * directory without regard to ASCII case (a directory listing read at
 * most once for a run of references, at most DD_DIR_MAX names); a name
 * that matches none, or several, leaves the reference as spelled, which
 * the sender then reports unreadable ("No such file or directory").
 *
 * Each file goes in once: a reference to a file that is already an input
 * (the same device and inode: a walk of the medium, the DICOMDIR
 * itself) or that an earlier record named is not added again; a missing
 * one is added once per spelling.  The inputs given stay as they are,
 * duplicates included.
 */
#ifndef CS_CLI_DICOMDIR_INPUTS_H
#define CS_CLI_DICOMDIR_INPUTS_H

#include "cli/inputs.h"

/* The most names one directory may hold for a case-insensitive match. */
#define DD_DIR_MAX 131072u
/* Directory listings kept at once. */
#define DD_CACHE 8

struct dd_listing {
	char *dir;          /* the directory as it was listed; NULL: empty */
	char *arena;        /* its names back to back */
	const char **names; /* sorted without regard to ASCII case */
	size_t n;
};

struct dd_resolver {
	struct dd_listing cache[DD_CACHE];
	unsigned next; /* the slot filled next */
};

/* dd_resolve results */
enum dd_found {
	DD_EXACT = 0, /* the path as spelled (it exists, or cannot be stat'ed
	                 for a reason other than not being there) */
	DD_FOLDED,    /* found with another case */
	DD_MISSING,   /* no such file, in any case */
	DD_AMBIGUOUS  /* a component matches several names, none exactly */
};

void dd_resolver_init(struct dd_resolver *rs);
void dd_resolver_release(struct dd_resolver *rs);

/*
 * The path of rel (components joined by '/', none empty, "." or "..")
 * under prefix ("" or a directory path ending in '/'), into *out
 * (malloc'd; the caller frees it): see the header comment.  Returns an
 * enum dd_found (*out is prefix+rel for DD_MISSING and DD_AMBIGUOUS), or
 * CS_E_NOMEM (*out NULL).
 */
int dd_resolve(
    struct dd_resolver *rs, const char *prefix, const char *rel, char **out);

/*
 * Rewrites in: each DICOMDIR among its paths (see above; the nops
 * operands ops tell file operands) followed by the paths of the files it
 * references.  Refused records and missing files are named on stderr
 * unless quiet; refused ones are counted (send_dicomdir_refused_add).
 * Returns 0, EXIT_NO (a DICOMDIR that cannot be read or is malformed:
 * said on stderr, nothing is sent) or EXIT_INTERNAL (out of memory);
 * in is unchanged unless 0 is returned.
 */
int dicomdir_inputs_expand(
    struct inputs *in, int nops, char *const *ops, int quiet);

#endif
