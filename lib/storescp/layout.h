/*
 * layout.h - where a received object goes: the --layout template.
 *
 * A template is a relative path whose '/' separate directories and whose
 * {Name} placeholders are replaced by values of the received object:
 *
 *   {SOPInstanceUID}     (0008,0018)    {SOPClassUID}        (0008,0016)
 *   {StudyInstanceUID}   (0020,000D)    {SeriesInstanceUID}  (0020,000E)
 *   {PatientID}          (0010,0020)    {Modality}           (0008,0060)
 *   {StudyDate}          (0008,0020)    {AccessionNumber}    (0008,0050)
 *   {SeriesNumber}       (0020,0011)    {InstanceNumber}     (0020,0013)
 *   {CallingAET}  the peer's AE title   {CalledAET}  the AE title it called
 *   {Date}        YYYYMMDD of reception, given by the caller
 *
 * The default is LAYOUT_DEFAULT, "{SOPInstanceUID}.dcm".
 *
 * Parsing (once, at startup) rejects: an unknown placeholder, an
 * unbalanced '{' or '}', a control character, an absolute path, an
 * empty component ("a//b", trailing '/'), a component that starts with a
 * literal '.' (so ".", "..", hidden names and our ".cstore-tmp-" names
 * are impossible), and a component or path that could render longer than
 * LAYOUT_COMPONENT_MAX or LAYOUT_PATH_MAX - 1.  Literal text is otherwise
 * the operator's and is kept as written.
 *
 * Rendering sanitises every value (layout_sanitize), so that whatever a
 * peer sends, the result is a relative path of non-empty components that
 * are never "." or "..", that stays inside the output directory and that
 * always fits in LAYOUT_PATH_MAX bytes.  Rendering does no I/O and reads
 * no clock.
 *
 * Ownership: struct layout is caller-owned and self-contained (it keeps
 * a copy of the template); every pointer argument is borrowed.
 */
#ifndef CS_STORESCP_LAYOUT_H
#define CS_STORESCP_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"

#define LAYOUT_DEFAULT STORESCP_DEFAULT_LAYOUT
/* Word used for a missing or empty value. */
#define LAYOUT_UNKNOWN "unknown"
/* Bytes kept of each sanitised value. */
#define LAYOUT_VALUE_MAX 64
/*
 * Longest rendered component: NAME_MAX (255) less room for the "~NNNN"
 * that sink_commit inserts when the name is taken (sink_dir.h).
 */
#define LAYOUT_COMPONENT_MAX 240
/* Rendered paths (with their NUL) always fit in this many bytes. */
#define LAYOUT_PATH_MAX 1024
/* At most this many literals, placeholders and separators. */
#define LAYOUT_MAX_PARTS 64
/* Distinct dataset tags a template can refer to. */
#define LAYOUT_MAX_TAGS 10

/* One piece of a parsed template (private). */
struct layout_part {
	uint8_t kind;      /* literal, separator or one of the placeholders */
	uint32_t tag;      /* dataset placeholders */
	uint16_t off, len; /* literal text in layout.tmpl */
};

struct layout {
	char tmpl[LAYOUT_PATH_MAX];
	size_t nparts;
	struct layout_part part[LAYOUT_MAX_PARTS];
};

/*
 * Looks up the value of dataset tag for layout_render: returns a
 * pointer to its bytes and their count in *lenp, or NULL if the object
 * has none.  The bytes need not be NUL-terminated or clean.
 */
typedef const char *(*layout_lookup_fn)(void *arg, uint32_t tag, size_t *lenp);

struct layout_input {
	layout_lookup_fn lookup; /* dataset values; NULL: none */
	void *arg;               /* passed to lookup */
	const char *calling_aet; /* NULL or "": LAYOUT_UNKNOWN */
	const char *called_aet;
	const char *date; /* YYYYMMDD of reception */
};

/*
 * Parses tmpl (NULL: LAYOUT_DEFAULT) into *l.  Returns 0, or CS_E_INVAL
 * with a one-line reason in err naming the offending part, suitable for
 * a usage error: "unknown placeholder '{Foo}' in layout '{Foo}.dcm'".
 */
int layout_parse(struct layout *l, const char *tmpl, struct cs_err *err);

/*
 * Stores in tags[] the dataset tags the parsed layout needs (no
 * duplicates, at most max, LAYOUT_MAX_TAGS is always enough) and returns
 * their count.  The receiver asks ds_scan for these besides its own.
 */
size_t layout_tags(const struct layout *l, uint32_t *tags, size_t max);

/*
 * Renders l for one object into out (size outsz; LAYOUT_PATH_MAX is
 * always enough) as a NUL-terminated relative path.  Returns its length,
 * or CS_E_TOOBIG if outsz is too small (out then holds "").
 */
int layout_render(const struct layout *l, const struct layout_input *in,
    char *out, size_t outsz, struct cs_err *err);

/*
 * Writes the file-name-safe form of the len bytes at v to out (room for
 * LAYOUT_VALUE_MAX + 1 bytes) and returns its length (1..64):
 * surrounding spaces and NULs trimmed; every byte but ASCII letters,
 * digits and ". - _ + ^" replaced by '_' (so no '/', '\', NUL, control
 * or non-ASCII byte); a leading '.' or '-' and a '.' following a '.'
 * replaced by '_' (so never ".", "..", a hidden name or an option);
 * cut to LAYOUT_VALUE_MAX bytes; LAYOUT_UNKNOWN if nothing is left.
 * v may be NULL.
 */
size_t layout_sanitize(char *out, const char *v, size_t len);

/*
 * A layout_lookup_fn over a struct ds_scan (core/ds_scan.h) passed as
 * arg: the trimmed value, the kept prefix of an over-long one.
 */
const char *layout_ds_scan_lookup(void *scan, uint32_t tag, size_t *lenp);

/* The placeholder names, for --help: "{SOPInstanceUID} {SOPClassUID} ...". */
const char *layout_placeholder_list(void);

#endif
