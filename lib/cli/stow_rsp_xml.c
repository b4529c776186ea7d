/*
 * stow_rsp_xml.c - a STOW-RS answer in the XML representation
 * (application/dicom+xml, PS3.19 A.1 Native DICOM Model): the verdict
 * on one instance (stow_rsp.h).  Not a general XML parser: it follows
 * the DicomAttribute, Item and Value elements of the top-level
 * Referenced SOP (0008,1199) and Failed SOP (0008,1198) Sequences,
 * which is all the Store Instances Response Module holds.
 */
#include <string.h>
#include <strings.h>

#include "cstore/cstore.h"
#include "cli/stow_rsp.h"
#include "core/hex.h"

#include "core/banned.h"

#define XML_DEPTH 4 /* DicomAttribute levels whose tags are kept */

struct xscan {
	const char *b;
	size_t n, i;
	uint32_t tag[XML_DEPTH]; /* the open DicomAttribute elements' tags */
	size_t depth;
	uint32_t seq; /* the top-level item's sequence, or 0 outside one */
	int named;    /* it names the instance */
	uint16_t reason;
};

/* Whether b[i..] starts with the element name s, ended as a name is. */
static int
name_is(const struct xscan *x, const char *s)
{
	size_t k = strlen(s);

	return x->n - x->i > k && memcmp(x->b + x->i, s, k) == 0 &&
	    strchr(" \t\r\n/>", x->b[x->i + k]) != NULL;
}

/* The index of the next c at or after from, or x->n. */
static size_t
next_of(const struct xscan *x, size_t from, char c)
{
	const char *p =
	    from < x->n ? memchr(x->b + from, c, x->n - from) : NULL;

	return p == NULL ? x->n : (size_t)(p - x->b);
}

/* The tag="GGGGEEEE" attribute of the start tag b[from..gt), or 0. */
static uint32_t
tag_attr(const struct xscan *x, size_t from, size_t gt)
{
	uint32_t t = 0;
	size_t k, j;
	int d;

	for (k = from; k + 15 <= gt; k++) {
		if (strchr(" \t\r\n", x->b[k]) == NULL ||
		    memcmp(x->b + k + 1, "tag=", 4) != 0 ||
		    (x->b[k + 5] != '"' && x->b[k + 5] != '\'') ||
		    x->b[k + 14] != x->b[k + 5])
			continue;
		for (j = 0; j < 8; j++) {
			if ((d = hex_digit(x->b[k + 6 + j])) < 0)
				return 0;
			t = t << 4 | (uint32_t)d;
		}
		return t;
	}
	return 0;
}

/* A US value as text (decimal), or 0 when it is none. */
static uint16_t
us_text(const char *p, size_t n)
{
	uint32_t v = 0;
	size_t k;

	if (n == 0 || n > 5)
		return 0;
	for (k = 0; k < n; k++) {
		if (p[k] < '0' || p[k] > '9')
			return 0;
		v = v * 10 + (uint32_t)(p[k] - '0');
	}
	return v > 0xffff ? 0 : (uint16_t)v;
}

/* The text of a Value element from b[from] up to the next '<'. */
static void
value(struct xscan *x, size_t from, const char *uid)
{
	size_t end = next_of(x, from, '<');
	uint32_t want = x->seq == 0x00081198 ? 0x00081197 : 0x00081196;

	while (from < end && strchr(" \t\r\n", x->b[from]) != NULL)
		from++;
	while (end > from && strchr(" \t\r\n", x->b[end - 1]) != NULL)
		end--;
	if (x->seq == 0 || x->depth != 2)
		return;
	if (x->tag[1] == 0x00081155 && end - from == strlen(uid) &&
	    memcmp(x->b + from, uid, end - from) == 0)
		x->named = 1;
	else if (x->tag[1] == want)
		x->reason = us_text(x->b + from, end - from);
}

/* One element's start or end tag at b[x->i] (past its '<'); its '>'. */
static size_t
element(struct xscan *x, const char *uid)
{
	size_t gt = next_of(x, x->i, '>');
	int empty = gt < x->n && x->b[gt - 1] == '/';

	if (name_is(x, "DicomAttribute") && !empty) {
		if (x->depth < XML_DEPTH)
			x->tag[x->depth] = tag_attr(x, x->i, gt);
		x->depth++;
	} else if (name_is(x, "/DicomAttribute") && x->depth > 0) {
		x->depth--;
	} else if (name_is(x, "Item") && !empty && x->depth == 1 &&
	    (x->tag[0] == 0x00081198 || x->tag[0] == 0x00081199)) {
		x->seq = x->tag[0];
		x->named = 0;
		x->reason = 0;
	} else if (name_is(x, "Value") && !empty && gt < x->n) {
		value(x, gt + 1, uid);
	}
	return gt;
}

int
stow_rsp_xml_type(const char *type)
{
	static const char xml[] = "application/dicom+xml";
	size_t k = sizeof(xml) - 1;

	return strncasecmp(type, xml, k) == 0 &&
	    (type[k] == '\0' || type[k] == ';' || type[k] == ' ');
}

enum stow_verdict
stow_rsp_xml_find(const char *type, const char *body, size_t len,
    const char *uid, uint16_t *reason)
{
	struct xscan x = { .b = body, .n = len };
	enum stow_verdict v = STOW_UNNAMED;
	const char *end;

	*reason = 0;
	if (!stow_rsp_xml_type(type) || uid[0] == '\0')
		return STOW_UNNAMED;
	while ((x.i = next_of(&x, x.i, '<')) < x.n) {
		x.i++;
		if (x.n - x.i >= 3 && memcmp(x.b + x.i, "!--", 3) == 0) {
			end = memmem(x.b + x.i, x.n - x.i, "-->", 3);
			x.i = end == NULL ? x.n : (size_t)(end - x.b) + 3;
			continue;
		}
		if (name_is(&x, "/Item") && x.seq != 0 && x.depth == 1) {
			if (x.named && x.seq == 0x00081198) {
				*reason = x.reason;
				return STOW_FAILED; /* failed wins */
			}
			if (x.named && v == STOW_UNNAMED) {
				v = STOW_REFERENCED;
				*reason = x.reason;
			}
			x.seq = 0;
		}
		x.i = element(&x, uid);
	}
	return v;
}
