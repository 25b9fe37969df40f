/* integ.c - the operation table of the built-in backends and the one entry
 * point the flow engine calls (see integ.h). Each operation lives in a
 * builtin_*.c file; this file only checks the call and dispatches.
 */
#include "integrations/integ_int.h"

#include <string.h>

struct integ_op {
	const char *name;
	integ_op_fn fn;
};

static const struct integ_op integ_ops[] = {
	{"appointments.products", integ_appt_products},
	{"appointments.locations", integ_appt_locations},
	{"appointments.days", integ_appt_days},
	{"appointments.times", integ_appt_times},
	{"appointments.book", integ_appt_book},
	{"appointments.get", integ_appt_get},
	{"appointments.cancel", integ_appt_cancel},
	{"appointments.move", integ_appt_move},
	{"meldingen.suggest", integ_meld_suggest},
	{"meldingen.nearby", integ_meld_nearby},
	{"meldingen.create", integ_meld_create},
	{"geo.lookup", integ_geo_lookup},
	{"geo.search", integ_geo_search},
	{"permits.types", integ_permit_types},
	{"permits.register", integ_permit_register},
	{"cases.status", integ_case_status},
	{"feedback.store", integ_feedback_store},
	{"feedback.summary", integ_feedback_summary},
	{"attachments.put", integ_attach_put},
	{"tickets.create", integ_ticket_create},
};

static const struct integ_op *integ_find(const char *op)
{
	if (!op)
		return NULL;
	for (size_t i = 0; i < sizeof(integ_ops) / sizeof(integ_ops[0]); i++) {
		if (!strcmp(integ_ops[i].name, op))
			return &integ_ops[i];
	}
	return NULL;
}

bool integ_op_known(const char *op)
{
	return integ_find(op) != NULL;
}

int integ_call(const struct integ_ctx *c, const char *op, json_t *args, json_t **out,
	       struct lk_err *err)
{
	const struct integ_op *o = integ_find(op);
	json_t *empty = NULL;
	int rc;

	*out = NULL;
	if (!o)
		return lk_err_setr(err, LK_EUNSUPPORTED, "unknown_op", "unknown operation '%.64s'",
				   op ? op : "(null)");
	if (!c || !c->st || !c->bot || !*c->bot)
		return lk_err_setr(err, LK_EINVAL, "invalid", "%s: no store or bot", o->name);
	if (c->utc_offset_s < -14 * 3600 || c->utc_offset_s > 14 * 3600 || c->now < 0)
		return lk_err_setr(err, LK_EINVAL, "invalid", "%s: clock out of range", o->name);
	if (!args)
		args = empty = json_object();
	if (!json_is_object(args)) {
		rc = integ_refuse(err, "invalid", "%s: arguments are not a JSON object", o->name);
		goto out;
	}
	rc = o->fn(c, args, out, err);
	/* A result jansson could not build (it checks UTF-8) is no result. */
	if (!rc && !json_is_object(*out))
		rc = lk_err_setr(err, LK_EINVAL, "invalid", "%s: the result could not be built",
				 o->name);
	if (rc && *out) {
		json_decref(*out);
		*out = NULL;
	}
out:
	json_decref(empty);
	return rc;
}
