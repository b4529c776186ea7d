/* layout.c - parse and render the --layout template (see layout.h). */
#include <stdbool.h>
#include <string.h>

#include "core/ds_scan.h"
#include "storescp/layout.h"

#include "core/banned.h"

enum { P_LITERAL = 1, P_SEP, P_TAG, P_CALLING, P_CALLED, P_DATE };

static const struct {
	const char *name;
	uint8_t kind;
	uint32_t tag;
} placeholders[] = {
	{ "SOPInstanceUID", P_TAG, DS_TAG_SOP_INSTANCE_UID },
	{ "SOPClassUID", P_TAG, DS_TAG_SOP_CLASS_UID },
	{ "StudyInstanceUID", P_TAG, DS_TAG_STUDY_INSTANCE_UID },
	{ "SeriesInstanceUID", P_TAG, DS_TAG_SERIES_INSTANCE_UID },
	{ "PatientID", P_TAG, DS_TAG_PATIENT_ID },
	{ "Modality", P_TAG, DS_TAG_MODALITY },
	{ "StudyDate", P_TAG, DS_TAG_STUDY_DATE },
	{ "AccessionNumber", P_TAG, DS_TAG_ACCESSION_NUMBER },
	{ "SeriesNumber", P_TAG, DS_TAG_SERIES_NUMBER },
	{ "InstanceNumber", P_TAG, DS_TAG_INSTANCE_NUMBER },
	{ "CallingAET", P_CALLING, 0 },
	{ "CalledAET", P_CALLED, 0 },
	{ "Date", P_DATE, 0 },
};
#define NPLACEHOLDERS (sizeof(placeholders) / sizeof(placeholders[0]))

const char *
layout_placeholder_list(void)
{
	return "{SOPInstanceUID} {SOPClassUID} {StudyInstanceUID} "
	       "{SeriesInstanceUID} {PatientID} {Modality} {StudyDate} "
	       "{AccessionNumber} {SeriesNumber} {InstanceNumber} "
	       "{CallingAET} {CalledAET} {Date}";
}

static int
add_part(struct layout *l, const char *tmpl, uint8_t kind, uint32_t tag,
    size_t off, size_t len, struct cs_err *err)
{
	struct layout_part *p;

	if (l->nparts == LAYOUT_MAX_PARTS)
		return cs_err_set(err, CS_E_INVAL,
		    "too many parts in layout "
		    "'%s' (at most %d)",
		    tmpl, LAYOUT_MAX_PARTS);
	p = &l->part[l->nparts++];
	p->kind = kind;
	p->tag = tag;
	p->off = (uint16_t)off;
	p->len = (uint16_t)len;
	return 0;
}

/*
 * Checks the component made of parts [first, l->nparts): not empty,
 * not starting with a literal '.', and short enough once rendered.
 * *total accumulates the longest possible rendered path.
 */
static int
end_component(struct layout *l, const char *tmpl, size_t first, size_t *total,
    struct cs_err *err)
{
	size_t i, max = 0;

	if (first == l->nparts)
		return cs_err_set(err, CS_E_INVAL,
		    "empty path component in "
		    "layout '%s'",
		    tmpl);
	if (l->part[first].kind == P_LITERAL &&
	    l->tmpl[l->part[first].off] == '.')
		return cs_err_set(err, CS_E_INVAL,
		    "path component starting "
		    "with '.' in layout '%s'",
		    tmpl);
	for (i = first; i < l->nparts; i++)
		max += l->part[i].kind == P_LITERAL ? l->part[i].len
						    : LAYOUT_VALUE_MAX;
	if (max > LAYOUT_COMPONENT_MAX)
		return cs_err_set(err, CS_E_INVAL,
		    "path component too long "
		    "(up to %zu bytes once filled in, at most %d) in layout "
		    "'%s'",
		    max, LAYOUT_COMPONENT_MAX, tmpl);
	*total += max;
	return 0;
}

int
layout_parse(struct layout *l, const char *tmpl, struct cs_err *err)
{
	size_t n, i = 0, lit = 0, first = 0, total = 0;
	int rc;

	memset(l, 0, sizeof(*l));
	if (tmpl == NULL)
		tmpl = LAYOUT_DEFAULT;
	n = strlen(tmpl);
	if (n == 0)
		return cs_err_set(err, CS_E_INVAL, "empty layout");
	if (n >= sizeof(l->tmpl))
		return cs_err_set(err, CS_E_INVAL,
		    "layout too long (%zu "
		    "bytes, at most %zu)",
		    n, sizeof(l->tmpl) - 1);
	memcpy(l->tmpl, tmpl, n + 1);
	if (tmpl[0] == '/')
		return cs_err_set(err, CS_E_INVAL,
		    "absolute layout '%s': it "
		    "must be relative to the output directory",
		    tmpl);
	while (i <= n) {
		unsigned char c = (unsigned char)tmpl[i];

		if (c != '\0' && c != '/' && c != '{' && c != '}') {
			if (c < 0x20 || c == 0x7f)
				return cs_err_set(err, CS_E_INVAL,
				    "control "
				    "character 0x%02x in layout",
				    c);
			i++;
			continue;
		}
		if (i > lit &&
		    (rc = add_part(l, tmpl, P_LITERAL, 0, lit, i - lit, err)) <
			0)
			return rc;
		if (c == '}')
			return cs_err_set(err, CS_E_INVAL,
			    "unbalanced '}' in "
			    "layout '%s'",
			    tmpl);
		if (c == '{') {
			size_t j = i + 1, k, len;

			while (tmpl[j] != '\0' && tmpl[j] != '}' &&
			    tmpl[j] != '{' && tmpl[j] != '/')
				j++;
			if (tmpl[j] != '}')
				return cs_err_set(err, CS_E_INVAL,
				    "unbalanced "
				    "'{' in layout '%s'",
				    tmpl);
			len = j - i - 1;
			for (k = 0; k < NPLACEHOLDERS; k++)
				if (strlen(placeholders[k].name) == len &&
				    memcmp(placeholders[k].name, tmpl + i + 1,
					len) == 0)
					break;
			if (k == NPLACEHOLDERS)
				return cs_err_set(err, CS_E_INVAL,
				    "unknown "
				    "placeholder '{%.*s}' in layout '%s'",
				    (int)len, tmpl + i + 1, tmpl);
			if ((rc = add_part(l, tmpl, placeholders[k].kind,
				 placeholders[k].tag, 0, 0, err)) < 0)
				return rc;
			i = j + 1;
			lit = i;
			continue;
		}
		/* '/' or the end: a component is complete */
		if ((rc = end_component(l, tmpl, first, &total, err)) < 0)
			return rc;
		if (c == '/') {
			if ((rc = add_part(l, tmpl, P_SEP, 0, 0, 0, err)) < 0)
				return rc;
			total++;
		}
		first = l->nparts;
		i++;
		lit = i;
	}
	if (total >= LAYOUT_PATH_MAX)
		return cs_err_set(err, CS_E_INVAL,
		    "layout too long (up to %zu "
		    "bytes once filled in, at most %d): '%s'",
		    total, LAYOUT_PATH_MAX - 1, tmpl);
	return 0;
}

size_t
layout_tags(const struct layout *l, uint32_t *tags, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < l->nparts; i++) {
		if (l->part[i].kind != P_TAG)
			continue;
		for (j = 0; j < n; j++)
			if (tags[j] == l->part[i].tag)
				break;
		if (j == n && n < max)
			tags[n++] = l->part[i].tag;
	}
	return n;
}

static bool
safe_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	    c == '+' || c == '^';
}

size_t
layout_sanitize(char *out, const char *v, size_t len)
{
	size_t a = 0, b = v != NULL ? len : 0, n = 0;

	while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\0'))
		b--;
	while (a < b && (v[a] == ' ' || v[a] == '\0'))
		a++;
	for (; a < b && n < LAYOUT_VALUE_MAX; a++) {
		unsigned char c = (unsigned char)v[a];

		if (!safe_byte(c))
			c = '_';
		/* never ".", "..", a hidden name or something like "-rf" */
		else if (n == 0 && (c == '.' || c == '-'))
			c = '_';
		else if (c == '.' && out[n - 1] == '.')
			c = '_';
		out[n++] = (char)c;
	}
	if (n == 0) {
		n = sizeof(LAYOUT_UNKNOWN) - 1;
		memcpy(out, LAYOUT_UNKNOWN, n);
	}
	out[n] = '\0';
	return n;
}

static void
str_value(const char *s, const char **v, size_t *len)
{
	*v = s;
	*len = s != NULL ? strlen(s) : 0;
}

int
layout_render(const struct layout *l, const struct layout_input *in, char *out,
    size_t outsz, struct cs_err *err)
{
	char val[LAYOUT_VALUE_MAX + 1];
	size_t i, n = 0;

	for (i = 0; i < l->nparts; i++) {
		const struct layout_part *p = &l->part[i];
		const char *v = NULL, *src;
		size_t len = 0, m;

		switch (p->kind) {
		case P_LITERAL:
			src = l->tmpl + p->off;
			m = p->len;
			break;
		case P_SEP:
			src = "/";
			m = 1;
			break;
		default:
			if (p->kind == P_TAG && in->lookup != NULL)
				v = in->lookup(in->arg, p->tag, &len);
			else if (p->kind == P_CALLING)
				str_value(in->calling_aet, &v, &len);
			else if (p->kind == P_CALLED)
				str_value(in->called_aet, &v, &len);
			else if (p->kind == P_DATE)
				str_value(in->date, &v, &len);
			m = layout_sanitize(val, v, len);
			src = val;
			break;
		}
		if (outsz == 0 || m >= outsz - n) {
			if (outsz > 0)
				out[0] = '\0';
			return cs_err_set(err, CS_E_TOOBIG,
			    "rendered path "
			    "longer than %zu bytes",
			    outsz);
		}
		memcpy(out + n, src, m);
		n += m;
	}
	out[n] = '\0';
	return (int)n;
}

const char *
layout_ds_scan_lookup(void *scan, uint32_t tag, size_t *lenp)
{
	return ds_scan_value(scan, tag, lenp, NULL);
}
