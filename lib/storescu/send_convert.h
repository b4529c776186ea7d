/*
 * send_convert.h - converting a file for sending, one rule for DIMSE
 * (send_window.c) and STOW-RS (lib/cli/stow_xcode.c): which syntax of
 * a list it goes in, and the conversion with what its result line says
 * (a lossy copy is a new instance, PS3.3 C.12.1.1.1).
 */
#ifndef CS_STORESCU_SEND_CONVERT_H
#define CS_STORESCU_SEND_CONVERT_H

#include <stddef.h>

#include "dcmfile/dcmfile.h"
#include "storescu/propose.h"

struct cs_err;

/*
 * Which of the syntaxes cand[0..n) a file in ts is converted to: the
 * first it reaches losslessly, in the list's order, then, only with
 * po->allow_lossy, the first it reaches lossily (propose_converts, the
 * test of propose_pick's tiers).  skip(user, uid), unless NULL, leaves
 * a candidate out.  Returns its index, or -1; *lossy_only (may be NULL)
 * is then the index of one a lossy conversion would reach were it
 * allowed, or -1.
 */
long send_convert_target(const char *ts, const char *const *cand, size_t n,
    const struct propose_opts *po, int (*skip)(void *, const char *),
    void *user, long *lossy_only);

/* What send_convert_file does about odd lengths (PS3.5 7.1.1). */
enum send_pad {
	SEND_PAD_NEVER,  /* as it comes (STOW: HTTP carries any length) */
	SEND_PAD_IF_ODD, /* DIMSE: a result of odd length, which no PDV can
			  * carry, is made again with its odd values padded */
	SEND_PAD_ODD,    /* the source is odd: pad from the start */
};

/* What a result line says of the group lengths (gggg,0000) a conversion
 * or padding drops (xcode.h: retired, and untrue once lengths change):
 * "%u " and this with "" or "s", or the dry run's prediction. */
#define SEND_GROUP_LENGTHS_REMOVED                                             \
	"group length%s (gggg,0000) removed (retired, PS3.5 7.2)"
/* the note of a decoded lossy source (dcmfile_transcoded.lossy_marked) */
#define SEND_LOSSY_MARKED                                                      \
	"Lossy Image Compression (0028,2110) set to 01: decoded from a lossy " \
	"encoding"
#define SEND_GROUP_LENGTHS_TO_REMOVE                                           \
	"group lengths (gggg,0000) to be removed (retired, PS3.5 7.2)"

/*
 * Converts the file fd (planning probed it: syntax from, SOP Instance
 * sop_instance) to ts into *tc (dcmfile_transcode_fd; with padding,
 * dcmfile_pad_odd_fd; path names it in messages).  from and ts may be
 * the same syntax when only padding is wanted.  note[] gets what the
 * result line says either way.  0: "padded N odd-length values ..."
 * and/or "transcoded to ...", then "N group lengths ... removed" when
 * the conversion dropped some, and a lossy compression's new instance UID
 * has replaced sop_instance (the note names the old one).  Else CS_E_*
 * with err set, tc->fd -1 and "cannot convert ...: why" (a lossless
 * conversion that names another instance: CS_E_UNSUPPORTED).  *changed
 * is set to 1 when the file was written to while it was converted (its
 * size or mtime moved; DIMSE and STOW-RS alike): what came out is never
 * used, whatever the conversion said, and the result is CS_E_TRUNCATED
 * (it shrank) or CS_E_IO, with note[] and err saying which; else 0.
 */
int send_convert_file(int fd, const char *path, const char *from,
    const char *ts, int allow_lossy, enum send_pad pad,
    char sop_instance[DCMFILE_UID_MAX + 1], struct dcmfile_transcoded *tc,
    char *note, size_t cap, int *changed, struct cs_err *err);

#endif
