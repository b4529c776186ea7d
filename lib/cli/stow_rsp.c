/* stow_rsp.c - a STOW-RS response's per-instance verdicts (stow_rsp.h). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cli/stow_rsp.h"

#include "core/banned.h"

struct stow_rsp {
	json_object *root;
	json_object *ds; /* the data set: root, or root's only item */
};

/* The first value of attribute tag in data set ds, or NULL. */
static json_object *
first_value(json_object *ds, const char *tag)
{
	json_object *a, *v;

	if (ds == NULL || !json_object_is_type(ds, json_type_object) ||
	    !json_object_object_get_ex(ds, tag, &a) ||
	    !json_object_object_get_ex(a, "Value", &v) ||
	    !json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0)
		return NULL;
	return json_object_array_get_idx(v, 0);
}

/* The items of sequence tag, or NULL. */
static json_object *
items(json_object *ds, const char *tag)
{
	json_object *a, *v;

	if (!json_object_object_get_ex(ds, tag, &a) ||
	    !json_object_object_get_ex(a, "Value", &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static uint16_t
us_value(json_object *ds, const char *tag)
{
	json_object *v = first_value(ds, tag);
	int64_t n;

	if (v == NULL || !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n < 0 || n > 0xffff ? 0 : (uint16_t)n;
}

/* Only white space after the data set. */
static int
blank(const char *p, size_t n)
{
	while (n > 0 && strchr(" \t\r\n", *p) != NULL && *p != '\0')
		p++, n--;
	return n == 0;
}

struct stow_rsp *
stow_rsp_parse(const char *body, size_t len, struct cs_err *err)
{
	json_tokener *tok = json_tokener_new();
	struct stow_rsp *r = calloc(1, sizeof(*r));

	/* RFC 8259 8.1: a byte order mark may be ignored (some services
	 * write one) */
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		body += 3, len -= 3;
	if (tok == NULL || r == NULL || len > (size_t)INT32_MAX) {
		json_tokener_free(tok);
		free(r);
		cs_err_set(err, CS_E_NOMEM, "out of memory");
		return NULL;
	}
	r->root = json_tokener_parse_ex(tok, body, (int)len);
	if (r->root != NULL &&
	    (json_tokener_get_error(tok) != json_tokener_success ||
		!blank(body + json_tokener_get_parse_end(tok),
		    len - json_tokener_get_parse_end(tok)))) {
		json_object_put(r->root);
		r->root = NULL;
	}
	json_tokener_free(tok);
	r->ds = r->root;
	if (json_object_is_type(r->root, json_type_array) &&
	    json_object_array_length(r->root) == 1)
		r->ds = json_object_array_get_idx(r->root, 0);
	if (r->ds == NULL || !json_object_is_type(r->ds, json_type_object)) {
		stow_rsp_free(r);
		cs_err_set(err, CS_E_PROTO,
		    "the response is not a DICOM JSON data set");
		return NULL;
	}
	return r;
}

/* The item of sequence tag whose Referenced SOP Instance UID is uid. */
static json_object *
find_item(json_object *ds, const char *tag, const char *uid)
{
	json_object *seq = items(ds, tag), *it, *v;
	size_t k, n = seq ? json_object_array_length(seq) : 0;

	for (k = 0; k < n; k++) {
		it = json_object_array_get_idx(seq, k);
		v = first_value(it, "00081155");
		if (v != NULL && json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), uid) == 0)
			return it;
	}
	return NULL;
}

enum stow_verdict
stow_rsp_find(
    const struct stow_rsp *r, const char *sop_instance, uint16_t *reason)
{
	json_object *it;

	*reason = 0;
	if ((it = find_item(r->ds, "00081198", sop_instance)) != NULL) {
		*reason = us_value(it, "00081197");
		return STOW_FAILED;
	}
	if ((it = find_item(r->ds, "00081199", sop_instance)) != NULL) {
		*reason = us_value(it, "00081196");
		return STOW_REFERENCED;
	}
	return STOW_UNNAMED;
}

void
stow_rsp_free(struct stow_rsp *r)
{
	if (r == NULL)
		return;
	json_object_put(r->root);
	free(r);
}
