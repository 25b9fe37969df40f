/* builtin_feedback.c - feedback at the end of a flow: a rating of 1 to 5
 * with an optional comment, stored as a record, and the summary a dashboard
 * shows (count, average, count per rating).
 */
#include "integrations/integ_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FEEDBACK_TRIES 5

int integ_feedback_store(const struct integ_ctx *c, json_t *args, json_t **out,
			 struct lk_err *err)
{
	struct store_record r;
	char *comment = NULL, *data = NULL;
	int64_t rating = 0;
	json_t *doc;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = integ_arg_int(args, "rating", true, 1, 5, &rating, NULL, err);
	if (!rc)
		rc = integ_arg_text(args, "comment", false, 1, INTEG_COMMENT_MAX, true, &comment,
				    err);
	if (rc)
		return rc;
	doc = json_pack("{s:I, s:s*}", "rating", (json_int_t)rating, "comment", comment);
	data = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	snprintf(r.kind, sizeof(r.kind), "feedback");
	snprintf(r.status, sizeof(r.status), "stored");
	r.num = rating;
	r.data = data;
	r.created_at = c->now;
	for (int i = 0; i < FEEDBACK_TRIES; i++) {
		integ_ref_new("FB", r.ref);
		rc = store_record_add(c->st, c->bot, &r, NULL, err);
		if (rc != LK_EBUSY)
			break;
	}
	if (!rc)
		*out = json_pack("{s:b}", "stored", 1);
	free(comment);
	free(data);
	return rc;
}

int integ_feedback_summary(const struct integ_ctx *c, json_t *args, json_t **out,
			   struct lk_err *err)
{
	int64_t counts[5], total = 0, sum = 0;
	json_t *by;
	int rc;

	rc = store_records_count(c->st, c->bot, "feedback", 1, 5, counts, err);
	if (rc)
		return rc;
	by = json_array();
	for (int i = 0; i < 5; i++) {
		total += counts[i];
		sum += counts[i] * (i + 1);
		json_array_append_new(by, json_pack("{s:i, s:I}", "rating", i + 1, "count",
						    (json_int_t)counts[i]));
	}
	*out = json_pack("{s:I, s:o, s:o}", "count", (json_int_t)total, "average",
			 total ? json_real(round((double)sum / (double)total * 100) / 100)
			       : json_null(),
			 "by_rating", by);
	return 0;
}
