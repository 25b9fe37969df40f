/* builtin_cases.c - case status: the seeded demo cases (zaken.csv, in the
 * style of ZGW "zaken") and every reference the other built-in backends hand
 * out (appointments AF-, meldingen ME-, permit applications PV-), each with
 * a status and the next step in the language of the conversation.
 */
#include "integrations/integ_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int integ_record_case(const struct integ_ctx *c, const char *ref, json_t **out,
		      struct lk_err *err)
{
	bool en = integ_lang_en(c);
	struct store_record r;
	json_t *what = NULL;
	const char *status, *next;
	char title[256], when[32];
	int rc;

	rc = store_record_get(c->st, c->bot, ref, &r, err);
	if (rc)
		return rc;
	integ_time_format(c, r.created_at, when);
	when[10] = '\0'; /* the date */
	if (!strcmp(r.kind, "melding")) {
		integ_data_get(c, INTEG_KIND_CATEGORY, r.key, &what, NULL);
		snprintf(title, sizeof(title), "%s: %s",
			 en ? "Report about public space" : "Melding openbare ruimte",
			 what ? integ_str(what, "name") : r.key);
		status = !strcmp(r.status, "open") ? (en ? "Received" : "Ontvangen") : r.status;
		next = en ? "We will deal with your report as soon as we can; most are"
			    " solved within 5 working days."
			  : "We pakken uw melding zo snel mogelijk op. Meestal is het"
			    " binnen 5 werkdagen opgelost.";
	} else if (!strcmp(r.kind, "permit")) {
		integ_data_get(c, INTEG_KIND_PERMIT, r.key, &what, NULL);
		snprintf(title, sizeof(title), "%s", what ? integ_label(c, what) : r.key);
		status = !strcmp(r.status, "requested")
				 ? (en ? "Application received" : "Aanvraag ontvangen")
				 : r.status;
		next = en ? "We will assess your application within 2 weeks and let you know"
			    " by e-mail."
			  : "We beoordelen uw aanvraag binnen 2 weken. U krijgt bericht per"
			    " e-mail.";
	} else {
		/* Feedback and other records are no cases. */
		store_record_release(&r);
		return lk_err_set(err, LK_ENOTFOUND, "no case %s", ref);
	}
	*out = json_pack("{s:s, s:s, s:s, s:s}", "title", title, "status", status, "date", when,
			 "next_step", next);
	json_decref(what);
	store_record_release(&r);
	return 0;
}

/* A seeded demo case. */
static int case_seeded(const struct integ_ctx *c, const char *ref, json_t **out,
		       struct lk_err *err)
{
	bool en = integ_lang_en(c);
	json_t *z = NULL;
	int rc;

	rc = integ_data_get(c, INTEG_KIND_CASE, ref, &z, err);
	if (rc)
		return rc;
	*out = json_pack("{s:s, s:s, s:s, s:s}", "title", integ_label(c, z), "status",
			 integ_str(z, en && *integ_str(z, "status_en") ? "status_en" : "status_nl"),
			 "date", integ_str(z, "date"), "next_step",
			 integ_str(z, en && *integ_str(z, "next_en") ? "next_en" : "next_nl"));
	json_decref(z);
	return 0;
}

int integ_case_status(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	char raw[INTEG_WORD_MAX], ref[STORE_REF_MAX];
	int rc;

	rc = integ_arg_word(args, "reference", true, raw, sizeof(raw), NULL, err);
	if (rc)
		return rc;
	if (!integ_ref_norm(raw, ref))
		return integ_not_found(err, "no case '%s'", raw);
	rc = integ_appt_case(c, ref, out, err);
	if (rc == LK_ENOTFOUND)
		rc = integ_record_case(c, ref, out, err);
	if (rc == LK_ENOTFOUND)
		rc = case_seeded(c, ref, out, err);
	if (rc == LK_ENOTFOUND)
		return integ_not_found(err, "no case %s", ref);
	if (!rc)
		json_object_set_new(*out, "reference", json_string(ref));
	return rc;
}
