/* builtin_tickets.c - "leave a question" outside office hours: the flow
 * vraag-achterlaten stores the citizen's question with their name and how to
 * reach them as a ticket ("VR-XXXXXX") that agents see in their console,
 * routed to the team of the conversation's latest handoff.
 */
#include "integrations/integ_int.h"

#include "core/clock.h"

#include <stdlib.h>
#include <string.h>

#define TICKET_TRIES 5
#define TICKET_QUESTION_MAX 2000 /* bytes */
#define TICKET_NAME_MAX 200      /* bytes */
#define TICKET_CONTACT_MAX 256   /* bytes of an e-mail address or phone number */

/* A trimmed optional or required text of at most max_bytes bytes (valid
 * UTF-8, no control characters). *out: caller frees, NULL when absent. */
static int ticket_text(json_t *args, const char *key, bool required, size_t max_bytes,
		       bool multiline, char **out, struct lk_err *err)
{
	int rc = integ_arg_text(args, key, required, 1, max_bytes, multiline, out, err);

	if (!rc && *out && strlen(*out) > max_bytes) {
		free(*out);
		*out = NULL;
		rc = integ_refuse(err, "invalid", "'%s' is longer than %zu bytes", key, max_bytes);
	}
	return rc;
}

/* Milliseconds, so consoles can tell tickets of the same second apart
 * (handoff announces them in order); the flows' clock (whole seconds, fixed
 * in conversation tests) wins when it is not the real one. */
static int64_t created_ms(int64_t now)
{
	int64_t ms = lk_now_ms();

	return ms / 1000 == now ? ms : now * 1000;
}

int integ_ticket_create(const struct integ_ctx *c, json_t *args, json_t **out,
			struct lk_err *err)
{
	char conv_id[STORE_ID_LEN + 1];
	char *question = NULL, *name = NULL, *email = NULL, *phone = NULL;
	struct store_handoff h;
	struct store_ticket t;
	int rc;

	memset(&t, 0, sizeof(t));
	rc = integ_arg_word(args, "conv_id", true, conv_id, sizeof(conv_id), NULL, err);
	if (!rc)
		rc = ticket_text(args, "question", true, TICKET_QUESTION_MAX, true, &question, err);
	if (!rc)
		rc = ticket_text(args, "name", true, TICKET_NAME_MAX, false, &name, err);
	if (!rc)
		rc = ticket_text(args, "email", false, TICKET_CONTACT_MAX, false, &email, err);
	if (!rc && email && !integ_email_ok(email))
		rc = integ_refuse(err, "invalid", "'email' is not an e-mail address");
	if (!rc)
		rc = ticket_text(args, "phone", false, TICKET_CONTACT_MAX, false, &phone, err);
	if (!rc && !email && !phone)
		rc = integ_refuse(err, "invalid", "an 'email' or a 'phone' is needed");
	if (rc)
		goto out;

	/* The team the handoff was meant for; "" (every team) when none. */
	rc = store_handoff_latest(c->st, c->bot, conv_id, &h, err);
	if (!rc) {
		snprintf(t.team, sizeof(t.team), "%s", h.team);
		store_handoff_release(&h);
	} else if (rc == LK_ENOTFOUND) {
		rc = 0;
	} else {
		goto out;
	}
	snprintf(t.conv_id, sizeof(t.conv_id), "%s", conv_id);
	snprintf(t.lang, sizeof(t.lang), "%s", integ_lang_en(c) ? "en" : "nl");
	t.question = question;
	t.name = name;
	t.contact = email ? email : phone;
	t.created_ms = created_ms(c->now);
	for (int i = 0; i < TICKET_TRIES; i++) {
		integ_ref_new("VR", t.ref);
		rc = store_ticket_add(c->st, c->bot, &t, err);
		if (rc != LK_EBUSY)
			break;
	}
	if (!rc)
		*out = json_pack("{s:s}", "reference", t.ref);
out:
	free(question);
	free(name);
	free(email);
	free(phone);
	return rc;
}
