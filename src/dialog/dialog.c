/* dialog.c - the guided-conversation engine (see dialog.h).
 *
 * The state of a conversation in a flow is a small JSON object:
 *   {"flow":id, "idx":step index, "phase":"ask"|"confirm"|"edit",
 *    "slots":{name:value}, "shown":{name:text shown for it}, "vars":{...},
 *    "hist":[step indexes asked, for "terug"], "fails":n}
 * or {"clarify": "the held question", "flow": id} while the bot asks
 * whether a message meant a flow. A message is tried as: a command or a
 * quick reply; an answer to the current step; a question to the knowledge
 * base (a digression: answered, then the step is asked again); else a
 * failed answer.
 */
#include "dialog/dialog.h"

#include "conv/conv.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "dialog/flow.h"
#include "integrations/integ.h"
#include "nlu/nlu.h"
#include "text/text_norm.h"
#include "text/text_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_OPTIONS 40
#define MAX_BUTTONS 8
#define FAQ_EXAMPLES_MAX 3000
#define TEXT_SLOT_MAX 1000
#define VALUE_MAX 512
#define LABEL_MAX 60
#define TEXT_FROM_START_WORDS 6 /* a starting message this long can fill a text slot */

struct dialog {
	const struct bot *bot;
	struct flow_set *flows;
	struct nlu_model *nlu;
};

/* Everything one message needs while it is handled. */
struct run {
	const struct dialog *d;
	struct dialog_turn *t;
	const char *lang;
	const json_t *flow;
	json_t *state;   /* owned */
	struct lk_err *err;
};

/* ------------------------------------------------------------------ */
/* set-up                                                              */

static void add_example(struct nlu_example **ex, size_t *n, size_t *cap, const char *intent,
			const char *text, const char *lang)
{
	if (!text || !*text)
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*ex = xreallocarray(*ex, *cap, sizeof(**ex));
	}
	(*ex)[(*n)++] = (struct nlu_example){intent, text, lang};
}

static int train(struct dialog *d, const struct kb_index *ix, struct lk_err *err)
{
	struct nlu_example *ex = NULL;
	size_t n = 0, cap = 0, kb = ix ? kb_index_count(ix) : 0;
	int rc;

	for (size_t i = 0; i < flow_count(d->flows); i++) {
		const json_t *f = flow_at(d->flows, i);
		json_t *examples = json_object_get(json_object_get(f, "triggers"), "examples");
		const char *lang, *id = json_string_value(json_object_get(f, "id"));
		json_t *list;

		json_object_foreach(examples, lang, list) {
			size_t k;
			json_t *v;

			json_array_foreach(list, k, v)
				add_example(&ex, &n, &cap, id, json_string_value(v), lang);
		}
	}
	for (size_t i = 0; i < kb && i < FAQ_EXAMPLES_MAX; i++) {
		const struct kb_entry *e = kb_index_entry(ix, i);

		add_example(&ex, &n, &cap, "faq", e->question && *e->question ? e->question : e->title,
			    e->lang);
	}
	rc = nlu_train(&d->nlu, ex, n, err);
	free(ex);
	return rc;
}

int dialog_new(struct dialog **out, const struct bot *bot, const struct kb_index *ix,
	       struct lk_err *err)
{
	struct dialog *d = xcalloc(1, sizeof(*d));
	const char *langs[BOT_MAX_LANGS];
	size_t n;
	int rc;

	*out = NULL;
	d->bot = bot;
	n = bot_languages(bot, langs, BOT_MAX_LANGS);
	rc = flow_set_load(&d->flows, bot_dir(bot), langs, n, err);
	if (!rc && flow_count(d->flows))
		rc = train(d, ix, err);
	if (rc) {
		dialog_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void dialog_free(struct dialog *d)
{
	if (!d)
		return;
	flow_set_free(d->flows);
	nlu_free(d->nlu);
	free(d);
}

size_t dialog_flow_count(const struct dialog *d)
{
	return d ? flow_count(d->flows) : 0;
}

/* ------------------------------------------------------------------ */
/* time                                                                */

void dialog_today(int64_t now, int utc_offset_s, int *y, int *m, int *d)
{
	time_t tt = (time_t)(now + utc_offset_s);
	struct tm tm;

	gmtime_r(&tt, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
}

/* ------------------------------------------------------------------ */
/* texts                                                               */

static const char *text_in(const struct run *r, const json_t *parent, const char *key)
{
	const json_t *t = json_object_get(parent, key);
	const char *s = json_string_value(json_object_get(t, r->lang));

	return s ? s : json_string_value(json_object_get(t, bot_default_lang(r->d->bot)));
}

static void catalog(const struct run *r, const char *key, struct buf *out)
{
	bot_message(r->d->bot, r->lang, key, out);
}

/* "2026-03-03" -> "dinsdag 3 maart 2026" with the catalogue's names. */
static void format_date(const struct run *r, const char *iso, struct buf *out)
{
	struct buf day, month;
	int y, m, d;
	struct tm tm = {0};
	time_t t;

	if (sscanf(iso, "%d-%d-%d", &y, &m, &d) != 3 || m < 1 || m > 12) {
		buf_adds(out, iso);
		return;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	buf_init(&day, 1024);
	buf_init(&month, 1024);
	if (bot_message_item(r->d->bot, r->lang, "date_days", (size_t)tm.tm_wday, &day) &&
	    bot_message_item(r->d->bot, r->lang, "date_months", (size_t)(m - 1), &month))
		buf_addf(out, "%s %d %s %d", day.ptr, d, month.ptr, y);
	else
		buf_adds(out, iso);
	buf_release(&day);
	buf_release(&month);
}

static json_t *flow_step(const struct run *r, size_t idx)
{
	return json_array_get(json_object_get(r->flow, "steps"), idx);
}

static const char *slot_label(const struct run *r, const json_t *step)
{
	const char *l = text_in(r, step, "label");

	return l ? l : json_string_value(json_object_get(step, "slot"));
}

/* {name} from the slots as shown, then vars, {summary}, {flow}. */
static void fill(const struct run *r, const char *tmpl, struct buf *out)
{
	json_t *shown = json_object_get(r->state, "shown"), *vars = json_object_get(r->state, "vars");

	while (tmpl && *tmpl) {
		const char *open = strchr(tmpl, '{'), *close;
		char name[64];
		size_t n;
		json_t *v;

		if (!open) {
			buf_adds(out, tmpl);
			return;
		}
		buf_add(out, tmpl, (size_t)(open - tmpl));
		close = strchr(open, '}');
		n = close ? (size_t)(close - open - 1) : 0;
		if (!close || n == 0 || n >= sizeof(name)) {
			buf_addc(out, '{');
			tmpl = open + 1;
			continue;
		}
		memcpy(name, open + 1, n);
		name[n] = '\0';
		tmpl = close + 1;
		if (!strcmp(name, "summary")) {
			json_t *steps = json_object_get(r->flow, "steps"), *st;
			size_t i;

			json_array_foreach(steps, i, st) {
				const char *slot = json_string_value(json_object_get(st, "slot"));
				const char *s = slot ? json_string_value(json_object_get(shown, slot)) : NULL;

				if (s && *s)
					buf_addf(out, "\n- %s: %s", slot_label(r, st), s);
			}
		} else if (!strcmp(name, "flow")) {
			buf_adds(out, text_in(r, r->flow, "title"));
		} else if ((v = json_object_get(shown, name)) || (v = json_object_get(vars, name))) {
			if (json_is_string(v))
				buf_adds(out, json_string_value(v));
			else if (json_is_integer(v))
				buf_addf(out, "%lld", (long long)json_integer_value(v));
			else if (json_is_real(v))
				buf_addf(out, "%g", json_real_value(v));
		} else {
			buf_addf(out, "{%s}", name);
		}
	}
}

static json_t *new_message(const struct run *r, const char *kind, const char *text)
{
	json_t *m = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "role", "bot", "kind", kind, "text",
			      text, "sources", "quick_replies");

	if (r->flow)
		json_object_set_new(m, "flow", json_string(json_string_value(json_object_get(r->flow, "id"))));
	json_array_append_new(r->t->msgs, m);
	return m;
}

static json_t *say(const struct run *r, const char *kind, const char *tmpl)
{
	struct buf b;
	json_t *m;

	buf_init(&b, 65536);
	fill(r, tmpl, &b);
	m = new_message(r, kind, b.ptr);
	buf_release(&b);
	return m;
}

static json_t *say_catalog(const struct run *r, const char *kind, const char *key)
{
	struct buf b;
	json_t *m;

	buf_init(&b, 65536);
	catalog(r, key, &b);
	m = say(r, kind, b.ptr);
	buf_release(&b);
	return m;
}

static void button(const struct run *r, json_t *msg, const char *label, const char *payload)
{
	char cut[LABEL_MAX * 4 + 4];
	size_t n = strlen(label);

	if (n > LABEL_MAX) {
		n = LABEL_MAX;
		while (n && ((unsigned char)label[n] & 0xC0) == 0x80)
			n--;
		snprintf(cut, sizeof(cut), "%.*s...", (int)n, label);
		label = cut;
	}
	json_array_append_new(json_object_get(msg, "quick_replies"),
			      json_pack("{s:s, s:s}", "label", label, "payload", payload));
}

static void button_catalog(const struct run *r, json_t *msg, const char *key, const char *payload)
{
	struct buf b;

	buf_init(&b, 1024);
	catalog(r, key, &b);
	button(r, msg, b.ptr, payload);
	buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* state                                                               */

static json_t *state_new_flow(const json_t *flow)
{
	return json_pack("{s:s, s:i, s:s, s:{}, s:{}, s:{}, s:{}, s:[], s:i}", "flow",
			 json_string_value(json_object_get(flow, "id")), "idx", 0, "phase", "ask",
			 "slots", "shown", "vars", "early", "hist", "fails", 0);
}

static size_t st_idx(const struct run *r)
{
	return (size_t)json_integer_value(json_object_get(r->state, "idx"));
}

static void st_set_idx(struct run *r, size_t idx)
{
	json_object_set_new(r->state, "idx", json_integer((json_int_t)idx));
}

static const char *st_phase(const struct run *r)
{
	return json_string_value(json_object_get(r->state, "phase"));
}

static void st_set_phase(struct run *r, const char *phase)
{
	json_object_set_new(r->state, "phase", json_string(phase));
}

static const char *slot_value(const struct run *r, const char *slot)
{
	return json_string_value(json_object_get(json_object_get(r->state, "slots"), slot));
}

static void set_slot(struct run *r, const char *slot, const char *value, const char *shown)
{
	json_object_set_new(json_object_get(r->state, "slots"), slot, json_string(value));
	json_object_set_new(json_object_get(r->state, "shown"), slot, json_string(shown ? shown : value));
}

static void clear_slot(struct run *r, const char *slot)
{
	json_object_del(json_object_get(r->state, "slots"), slot);
	json_object_del(json_object_get(r->state, "shown"), slot);
}

/* The step a slot is asked in, or -1. */
static long step_of_slot(const struct run *r, const char *slot)
{
	json_t *steps = json_object_get(r->flow, "steps"), *st;
	size_t i;

	json_array_foreach(steps, i, st)
		if (slot && !strcmp(json_string_value(json_object_get(st, "slot")) ?: "", slot))
			return (long)i;
	return -1;
}

static int is_true(const json_t *v)
{
	const char *s = json_string_value(v);

	return s && (!strcmp(s, "true") || !strcmp(s, "yes"));
}

/* Is the step's `when` condition met by the slots so far? */
static int step_applies(const struct run *r, const json_t *step)
{
	const json_t *w = json_object_get(step, "when");
	const char *slot, *v, *eq, *neq;

	if (!w)
		return 1;
	slot = json_string_value(json_object_get(w, "slot"));
	v = slot_value(r, slot);
	eq = json_string_value(json_object_get(w, "equals"));
	neq = json_string_value(json_object_get(w, "not"));
	if (eq)
		return v && !strcmp(v, eq);
	if (neq)
		return !v || strcmp(v, neq);
	if (json_object_get(w, "filled"))
		return is_true(json_object_get(w, "filled")) ? v && *v : !v || !*v;
	return v && *v;
}

/* ------------------------------------------------------------------ */
/* backends                                                            */

static struct integ_ctx integ_of(const struct run *r)
{
	return (struct integ_ctx){r->t->st, bot_id(r->d->bot), r->lang, r->t->now, r->t->utc_offset_s};
}

/* Arguments of an operation: the given args with {slot} filled, or every
 * slot and var. */
static json_t *op_args(const struct run *r, const json_t *args)
{
	json_t *out = json_object(), *v;
	const char *k;

	if (!args) {
		json_object_update(out, json_object_get(r->state, "vars"));
		json_object_update(out, json_object_get(r->state, "slots"));
	} else {
		json_object_foreach((json_t *)args, k, v) {
			const char *tmpl = json_string_value(v);
			size_t n = tmpl ? strlen(tmpl) : 0;

			if (!strcmp(k, "@line") || !tmpl)
				continue;
			if (n > 2 && tmpl[0] == '{' && tmpl[n - 1] == '}' && n < 66) {
				/* "{name}": the slot's or var's own value, a number stays a number */
				char name[64];
				json_t *val;

				snprintf(name, sizeof(name), "%.*s", (int)n - 2, tmpl + 1);
				val = json_object_get(json_object_get(r->state, "slots"), name);
				if (!val)
					val = json_object_get(json_object_get(r->state, "vars"), name);
				json_object_set_new(out, k, val ? json_deep_copy(val) : json_string(""));
			} else {
				json_object_set_new(out, k, json_string(tmpl));
			}
		}
	}
	json_object_set_new(out, "conv_id", json_string(r->t->conv_id));
	return out;
}

static int call_op(const struct run *r, const char *op, json_t *args, json_t **out,
		   struct lk_err *err)
{
	struct integ_ctx ic = integ_of(r);
	int rc = integ_call(&ic, op, args, out, err);

	json_decref(args);
	return rc;
}

/* The options of a choice step: static, or from its backend. New array of
 * {"value","label"}; NULL when the backend fails. */
static json_t *step_options(const struct run *r, const json_t *step)
{
	const char *from = json_string_value(json_object_get(step, "options_from"));
	json_t *opts = json_array(), *o, *res = NULL;
	struct lk_err e = {0};
	size_t i;

	if (!from) {
		json_array_foreach(json_object_get(step, "options"), i, o) {
			json_t *syn = json_object_get(o, "synonyms");

			json_array_append_new(opts, json_pack("{s:s, s:s, s:O?}", "value",
							      json_string_value(json_object_get(o, "value")),
							      "label", text_in(r, o, "label"), "synonyms",
							      syn));
		}
		return opts;
	}
	if (call_op(r, from, op_args(r, json_object_get(step, "options_args")), &res, &e)) {
		json_decref(opts);
		return NULL;
	}
	/* "options":[{value,label}] or "days"/"times":[strings] */
	json_array_foreach(json_object_get(res, "options"), i, o)
		json_array_append(opts, o);
	json_array_foreach(json_object_get(res, "days"), i, o)
		json_array_append_new(opts, json_pack("{s:O, s:O}", "value", o, "label", o));
	json_array_foreach(json_object_get(res, "times"), i, o)
		json_array_append_new(opts, json_pack("{s:O, s:O}", "value", o, "label", o));
	json_decref(res);
	return opts;
}

static const char *option_label(const json_t *opts, const char *value)
{
	size_t i;
	json_t *o;

	json_array_foreach(opts, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "value")) ?: "", value))
			return json_string_value(json_object_get(o, "label"));
	return NULL;
}

/* ------------------------------------------------------------------ */
/* asking                                                              */

static void add_cancel(const struct run *r, json_t *msg)
{
	button_catalog(r, msg, "flow_cancel_button", "cancel");
}

/* Asks step idx (phase ask); reask: the re-ask text instead. */
static void ask(struct run *r, size_t idx, int reask)
{
	json_t *step = flow_step(r, idx), *msg, *opts = NULL, *input;
	int type = flow_type_parse(json_string_value(json_object_get(step, "type")));
	const char *slot = json_string_value(json_object_get(step, "slot"));

	msg = say(r, "flow", text_in(r, step, reask ? "reask" : "ask"));
	json_object_set_new(msg, "step", json_string(slot));
	input = json_pack("{s:s}", "type", flow_type_name((enum flow_slot_type)type));
	if (type == FLOW_CHOICE || json_object_get(step, "options_from")) {
		size_t i;
		json_t *o;

		opts = step_options(r, step);
		json_array_foreach(opts, i, o) {
			char payload[VALUE_MAX + 8];

			if (i < MAX_BUTTONS) {
				snprintf(payload, sizeof(payload), "choose:%s",
					 json_string_value(json_object_get(o, "value")));
				if (type == FLOW_DATE) {
					struct buf shown;

					buf_init(&shown, 256);
					format_date(r, json_string_value(json_object_get(o, "value")), &shown);
					button(r, msg, shown.ptr, payload);
					buf_release(&shown);
				} else {
					button(r, msg, json_string_value(json_object_get(o, "label")), payload);
				}
			}
		}
		if (opts)
			json_object_set(input, "options", opts);
	} else if (type == FLOW_YES_NO) {
		button_catalog(r, msg, "flow_yes", "choose:yes");
		button_catalog(r, msg, "flow_no", "choose:no");
	} else if (type == FLOW_RATING) {
		for (int i = 1; i <= 5; i++) {
			char label[4], payload[16];

			snprintf(label, sizeof(label), "%d", i);
			snprintf(payload, sizeof(payload), "choose:%d", i);
			button(r, msg, label, payload);
		}
	}
	if (type == FLOW_PHOTO)
		json_object_set_new(input, "accept", json_string("image/jpeg,image/png,image/webp"));
	if (is_true(json_object_get(step, "optional"))) {
		json_object_set_new(input, "optional", json_true());
		button_catalog(r, msg, "flow_skip_button", "skip");
	}
	add_cancel(r, msg);
	json_object_set_new(msg, "input", input);
	json_decref(opts);
	st_set_idx(r, idx);
	st_set_phase(r, "ask");
	json_object_set_new(r->state, "step", json_string(slot));
}

static void ask_confirm(struct run *r)
{
	json_t *msg = say(r, "flow", text_in(r, r->flow, "confirm"));

	json_object_set_new(msg, "step", json_string("confirm"));
	json_object_set_new(msg, "input", json_pack("{s:s}", "type", "yes_no"));
	button_catalog(r, msg, "flow_yes", "confirm:yes");
	button_catalog(r, msg, "flow_no", "confirm:no");
	add_cancel(r, msg);
	st_set_phase(r, "confirm");
	json_object_set_new(r->state, "step", json_string("confirm"));
}

static void end_flow(struct run *r)
{
	json_decref(r->state);
	r->state = NULL;
}

/* Runs the action and reports its result (or its refusal). */
static void run_action(struct run *r)
{
	const json_t *a = json_object_get(r->flow, "action");
	json_t *res = NULL, *v, *msg;
	struct lk_err e = {0};
	const char *k;

	if (!a) {
		say(r, "flow", text_in(r, r->flow, "done"));
		end_flow(r);
		return;
	}
	if (call_op(r, json_string_value(json_object_get(a, "op")),
		    op_args(r, json_object_get(a, "args")), &res, &e)) {
		const json_t *handler = e.reason ? json_object_get(json_object_get(a, "errors"), e.reason)
						 : NULL;

		if (handler) {
			const char *go = json_string_value(json_object_get(handler, "goto"));
			long idx = step_of_slot(r, go);

			say(r, "flow", text_in(r, handler, "say"));
			if (idx >= 0) {
				clear_slot(r, go);
				ask(r, (size_t)idx, 0);
				return;
			}
			end_flow(r);
			return;
		}
		fprintf(stderr, "loket: flow %s: %s failed: %s\n",
			json_string_value(json_object_get(r->flow, "id")),
			json_string_value(json_object_get(a, "op")), e.msg);
		msg = say_catalog(r, "flow", "flow_error");
		button_catalog(r, msg, "flow_yes", "confirm:yes");
		add_cancel(r, msg);
		st_set_phase(r, "confirm");
		return;
	}
	json_object_foreach(res, k, v)
		if (json_is_string(v) || json_is_number(v))
			json_object_set(json_object_get(r->state, "vars"), k, v);
	json_decref(res);
	msg = say(r, "flow", text_in(r, a, "done"));
	json_object_set_new(msg, "step", json_string("done"));
	end_flow(r);
}

/* Runs a call step: merges the result into vars and says its text when
 * the say_if field is a non-empty list, a non-empty text or true. A
 * refusal the step names under `errors` is said and its slot asked again
 * (returns 1: the caller stops); any other failure is logged and the flow
 * goes on. */
static int run_call(struct run *r, const json_t *step)
{
	json_t *res = NULL, *v;
	struct lk_err e = {0};
	const char *k, *cond = json_string_value(json_object_get(step, "say_if"));

	if (call_op(r, json_string_value(json_object_get(step, "call")),
		    op_args(r, json_object_get(step, "args")), &res, &e)) {
		const json_t *handler = json_object_get(json_object_get(step, "errors"),
							e.reason ? e.reason
								 : e.code == LK_ENOTFOUND ? "not_found" : "");
		const char *go = json_string_value(json_object_get(handler, "goto"));
		long idx = step_of_slot(r, go);

		if (handler) {
			say(r, "flow", text_in(r, handler, "say"));
			if (idx >= 0) {
				clear_slot(r, go);
				ask(r, (size_t)idx, 0);
			} else {
				end_flow(r);
			}
			return 1;
		}
		fprintf(stderr, "loket: flow %s: %s failed: %s\n",
			json_string_value(json_object_get(r->flow, "id")),
			json_string_value(json_object_get(step, "call")), e.msg);
		return 0; /* an informational step: the flow goes on without it */
	}
	{
		/* refuse_if: {field, equals, reason}: a result that is a refusal */
		const json_t *ri = json_object_get(step, "refuse_if");
		const char *f = json_string_value(json_object_get(ri, "field"));
		const char *eq = json_string_value(json_object_get(ri, "equals"));
		const char *got = f ? json_string_value(json_object_get(res, f)) : NULL;

		if (got && eq && !strcmp(got, eq)) {
			const char *reason = json_string_value(json_object_get(ri, "reason"));
			const json_t *handler = json_object_get(json_object_get(step, "errors"),
								reason ? reason : "");
			const char *go = json_string_value(json_object_get(handler, "goto"));
			long idx = step_of_slot(r, go);

			json_decref(res);
			if (handler)
				say(r, "flow", text_in(r, handler, "say"));
			if (handler && idx >= 0) {
				clear_slot(r, go);
				ask(r, (size_t)idx, 0);
			} else {
				end_flow(r);
			}
			return 1;
		}
	}
	json_object_foreach(res, k, v)
		if (json_is_string(v) || json_is_number(v))
			json_object_set(json_object_get(r->state, "vars"), k, v);
	if (json_is_array(json_object_get(res, cond ? cond : "")))
		json_object_set_new(json_object_get(r->state, "vars"), "count",
				    json_integer((json_int_t)json_array_size(json_object_get(res, cond))));
	v = cond ? json_object_get(res, cond) : NULL;
	if (!cond || (json_is_array(v) && json_array_size(v)) || json_is_true(v) ||
	    (json_is_string(v) && *json_string_value(v)))
		if (json_object_get(step, "say"))
			say(r, "flow", text_in(r, step, "say"));
	json_decref(res);
	return 0;
}

static void remember(struct run *r, size_t idx);

/* A value given early for a step with backend options ("next Tuesday"
 * before the location was known): taken when its options allow it. */
static int take_early(struct run *r, const json_t *step, const char *slot)
{
	json_t *early = json_object_get(r->state, "early");
	const char *v = json_string_value(json_object_get(early, slot));
	json_t *opts;
	int ok = 0;

	if (!v)
		return 0;
	opts = step_options(r, step);
	if (opts && option_label(opts, v)) {
		struct buf shown;

		buf_init(&shown, 512);
		if (flow_type_parse(json_string_value(json_object_get(step, "type"))) == FLOW_DATE)
			format_date(r, v, &shown);
		else
			buf_adds(&shown, v);
		set_slot(r, slot, v, shown.ptr);
		buf_release(&shown);
		ok = 1;
	}
	json_decref(opts);
	json_object_del(early, slot);
	return ok;
}

/* From step idx on: run call steps, skip steps that do not apply or whose
 * slot is filled, ask the first open slot; at the end confirm or act. */
static void advance(struct run *r, size_t idx)
{
	json_t *steps = json_object_get(r->flow, "steps");

	for (; idx < json_array_size(steps); idx++) {
		json_t *step = json_array_get(steps, idx);
		const char *slot = json_string_value(json_object_get(step, "slot"));

		if (!step_applies(r, step))
			continue;
		if (json_object_get(step, "call")) {
			if (json_integer_value(json_object_get(r->state, "called")) > (json_int_t)idx)
				continue; /* ran already (after "terug") */
			if (run_call(r, step))
				return;
			json_object_set_new(r->state, "called", json_integer((json_int_t)idx + 1));
			continue;
		}
		if (slot_value(r, slot))
			continue;
		if (take_early(r, step, slot)) {
			remember(r, idx);
			continue;
		}
		json_object_set_new(r->state, "fails", json_integer(0));
		ask(r, idx, 0);
		return;
	}
	if (json_object_get(r->flow, "confirm")) {
		ask_confirm(r);
		return;
	}
	run_action(r);
}

/* ------------------------------------------------------------------ */
/* filling slots                                                       */

/* What the parsers see: a text_choice array over opts. */
struct choice_set {
	struct text_choice c[MAX_OPTIONS];
	const char *labels[MAX_OPTIONS][12];
	size_t n;
};

static void choice_set_of(const json_t *opts, struct choice_set *cs)
{
	size_t i;
	json_t *o;

	cs->n = 0;
	json_array_foreach(opts, i, o) {
		size_t nl = 0, k;
		json_t *syn;

		if (cs->n == MAX_OPTIONS)
			break;
		cs->labels[cs->n][nl++] = json_string_value(json_object_get(o, "label"));
		json_array_foreach(json_object_get(o, "synonyms"), k, syn)
			if (nl < 12 && json_is_string(syn))
				cs->labels[cs->n][nl++] = json_string_value(syn);
		cs->c[cs->n] = (struct text_choice){json_string_value(json_object_get(o, "value")),
						    cs->labels[cs->n], nl};
		cs->n++;
	}
}

/* Tries to read the slot of `step` from text. 1 and value/shown filled,
 * 0 when the text holds no valid value. opts: the step's options or NULL. */
static int parse_slot(struct run *r, const json_t *step, const json_t *opts, const char *text,
		      struct buf *value, struct buf *shown)
{
	int type = flow_type_parse(json_string_value(json_object_get(step, "type")));
	char out[VALUE_MAX];
	int y, m, d;

	switch (type) {
	case FLOW_CHOICE: {
		struct choice_set cs;
		int k;

		if (!opts)
			return 0;
		choice_set_of(opts, &cs);
		k = text_parse_choice(text, cs.c, cs.n);
		if (k < 0)
			return 0;
		buf_adds(value, cs.c[k].value);
		buf_adds(shown, cs.labels[k][0]);
		return 1;
	}
	case FLOW_DATE: {
		json_t *mn = json_object_get(step, "min");
		char today[11];

		dialog_today(r->t->now, r->t->utc_offset_s, &y, &m, &d);
		if (!text_parse_date(text, y, m, d, out, NULL, NULL))
			return 0;
		snprintf(today, sizeof(today), "%04d-%02d-%02d", y, m, d);
		if (opts && !option_label(opts, out))
			return 0;
		if (!opts && strcmp(out, today) < 0 && !mn)
			return 0; /* no dates in the past unless the flow allows them */
		buf_adds(value, out);
		format_date(r, out, shown);
		return 1;
	}
	case FLOW_TIME:
		if (!text_parse_time(text, 1, out, NULL, NULL))
			return 0;
		if (opts && !option_label(opts, out))
			return 0;
		buf_adds(value, out);
		buf_adds(shown, out);
		return 1;
	case FLOW_POSTCODE:
		if (!text_parse_postcode(text, out))
			return 0;
		break;
	case FLOW_HOUSE_NUMBER: {
		struct text_house_number hn;

		if (!text_parse_house_number(text, &hn))
			return 0;
		snprintf(out, sizeof(out), "%u%s%s%s", hn.number, hn.letter, hn.addition[0] ? "-" : "",
			 hn.addition);
		break;
	}
	case FLOW_ADDRESS: {
		char pc[7];
		struct text_house_number hn;
		json_t *res = NULL, *args;
		struct lk_err e = {0};
		int rc;

		if (text_parse_postcode(text, pc) && text_parse_house_number(text, &hn))
			args = json_pack("{s:s, s:i, s:s, s:s}", "postcode", pc, "number", (int)hn.number,
					 "letter", hn.letter, "addition", hn.addition);
		else if (strlen(text) >= 5)
			args = json_pack("{s:s}", "text", text);
		else
			return 0;
		rc = call_op(r, json_object_get(args, "text") ? "geo.search" : "geo.lookup", args, &res,
			     &e);
		if (rc || !json_string_value(json_object_get(res, "address"))) {
			json_decref(res);
			return 0;
		}
		buf_adds(value, json_string_value(json_object_get(res, "address")));
		buf_adds(shown, json_string_value(json_object_get(res, "address")));
		json_object_set(json_object_get(r->state, "vars"), "lat", json_object_get(res, "lat"));
		json_object_set(json_object_get(r->state, "vars"), "lon", json_object_get(res, "lon"));
		json_object_set(json_object_get(r->state, "vars"), "address",
				json_object_get(res, "address"));
		json_decref(res);
		return 1;
	}
	case FLOW_BSN:
		if (!text_parse_bsn(text, out))
			return 0;
		buf_adds(value, out);
		buf_addf(shown, "*****%s", out + 5); /* never shown in full again */
		return 1;
	case FLOW_EMAIL:
		if (!text_parse_email(text, out, sizeof(out)))
			return 0;
		break;
	case FLOW_PHONE:
		if (!text_parse_phone_nl(text, out, sizeof(out)))
			return 0;
		break;
	case FLOW_IBAN:
		if (!text_parse_iban(text, out, sizeof(out)))
			return 0;
		break;
	case FLOW_KENTEKEN:
		if (!text_parse_kenteken(text, out, sizeof(out)))
			return 0;
		break;
	case FLOW_YES_NO: {
		int yn = text_parse_yes_no(text);
		struct buf lab;

		if (yn < 0)
			return 0;
		buf_adds(value, yn ? "yes" : "no");
		buf_init(&lab, 256);
		catalog(r, yn ? "flow_yes" : "flow_no", &lab);
		buf_adds(shown, lab.ptr);
		buf_release(&lab);
		return 1;
	}
	case FLOW_NUMBER:
	case FLOW_RATING: {
		double lo = type == FLOW_RATING ? 1 : -1e9, hi = type == FLOW_RATING ? 5 : 1e9;
		const char *p = text;
		char *end;
		long v;

		if (json_object_get(step, "min"))
			lo = atof(json_string_value(json_object_get(step, "min")));
		if (json_object_get(step, "max"))
			hi = atof(json_string_value(json_object_get(step, "max")));
		while (*p && !isdigit((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		v = strtol(p, &end, 10);
		if (v < lo || v > hi)
			return 0;
		snprintf(out, sizeof(out), "%ld", v);
		break;
	}
	case FLOW_REFERENCE: {
		/* a token like AF-7K3Q9M or Z-2026-000123 anywhere in the text */
		const char *p = text;

		for (;;) {
			size_t n = 0;
			const char *q;

			while (*p && !isalnum((unsigned char)*p))
				p++;
			if (!*p)
				return 0;
			for (q = p; *q && (isalnum((unsigned char)*q) || *q == '-') && n < 40; q++)
				out[n++] = (char)toupper((unsigned char)*q);
			out[n] = '\0';
			while (n && out[n - 1] == '-')
				out[--n] = '\0';
			{
				size_t pre = strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
				const char *rest = out + pre + 1;

				/* AF-7K3Q9M, Z-2026-000123; not E-MAIL */
				if (pre >= 1 && pre <= 3 && out[pre] == '-' &&
				    (strpbrk(rest, "0123456789") || strlen(rest) >= 6))
					break;
			}
			p = *q ? q + 1 : q;
		}
		break;
	}
	case FLOW_PHOTO:
		return 0; /* only as an uploaded attachment (attachment:<id>) */
	case FLOW_TEXT: {
		size_t max = json_object_get(step, "max_length")
				     ? (size_t)atol(json_string_value(json_object_get(step, "max_length")))
				     : TEXT_SLOT_MAX;
		size_t n = strlen(text);

		while (n && isspace((unsigned char)text[n - 1]))
			n--;
		while (*text && isspace((unsigned char)*text)) {
			text++;
			n--;
		}
		if (n < 2 || n > max)
			return 0;
		buf_add(value, text, n);
		buf_add(shown, text, n);
		return 1;
	}
	default:
		return 0;
	}
	buf_adds(value, out);
	buf_adds(shown, out);
	return 1;
}

static int extractable(const json_t *step)
{
	int type = flow_type_parse(json_string_value(json_object_get(step, "type")));
	const json_t *x = json_object_get(step, "extract");

	if (x)
		return is_true(x);
	return type == FLOW_CHOICE || type == FLOW_DATE || type == FLOW_TIME ||
	       type == FLOW_POSTCODE || type == FLOW_EMAIL || type == FLOW_PHONE ||
	       type == FLOW_IBAN || type == FLOW_BSN || type == FLOW_REFERENCE ||
	       type == FLOW_RATING || type == FLOW_KENTEKEN;
}

/* Fills, from one message, every later slot it clearly names ("next
 * Tuesday at half past three" fills date and time). Dynamic options are
 * left to their own turn (they depend on what comes before). */
static size_t word_count(const char *text);

/* Lower-case words of s, space-separated and space-framed: " ik wil een ". */
static void word_list(const char *s, struct buf *out)
{
	int in_word = 0;

	buf_addc(out, ' ');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int letter = isalnum(*p) || *p >= 0x80;

		if (letter)
			buf_addc(out, (char)tolower(*p));
		else if (in_word)
			buf_addc(out, ' ');
		in_word = letter;
	}
	if (in_word)
		buf_addc(out, ' ');
}

/* Does the message name the task ("I want to report a problem in the
 * street": a word of the flow's title) rather than describe the matter
 * ("De lantaarnpaal in onze straat is kapot")? */
static int like_a_trigger(const struct run *r, const char *text)
{
	json_t *titles = json_object_get(r->flow, "title"), *t;
	struct buf mine, theirs;
	const char *lang;
	int found = 0;

	buf_init(&mine, 16384);
	buf_init(&theirs, 4096);
	word_list(text, &mine);
	json_object_foreach(titles, lang, t) {
		char *copy, *save, *w;

		if (!json_is_string(t))
			continue;
		buf_reset(&theirs);
		word_list(json_string_value(t), &theirs);
		copy = xstrdup(theirs.ptr);
		for (w = strtok_r(copy, " ", &save); w && !found; w = strtok_r(NULL, " ", &save)) {
			char needle[80];

			if (strlen(w) < 4)
				continue;
			snprintf(needle, sizeof(needle), " %s", w); /* "melding" also in "meldingen" */
			found = strstr(mine.ptr, needle) != NULL;
		}
		free(copy);
	}
	buf_release(&mine);
	buf_release(&theirs);
	return found;
}

/* "4321 BA" reads as a postcode and as a licence plate (sidecode 2): when
 * the only plate in a message is its postcode, it is not a plate. */
static int looks_like_postcode_only(const char *text)
{
	char pc[7], plate[16];
	size_t k = 0;

	if (!text_parse_postcode(text, pc) || !text_parse_kenteken(text, plate, sizeof(plate)))
		return 0;
	for (size_t i = 0; plate[i] && k < sizeof(plate) - 1; i++)
		if (plate[i] != '-')
			plate[k++] = plate[i];
	plate[k] = '\0';
	return !strcmp(plate, pc);
}

static void extract_more(struct run *r, const char *text, long skip)
{
	json_t *steps = json_object_get(r->flow, "steps"), *st;
	size_t i;

	json_array_foreach(steps, i, st) {
		const char *slot = json_string_value(json_object_get(st, "slot"));
		json_t *opts = NULL;
		struct buf value, shown;

		int type = flow_type_parse(json_string_value(json_object_get(st, "type")));
		int later = json_object_get(st, "options_from") != NULL;

		if (type == FLOW_TEXT && skip < 0 && !slot_value(r, slot) &&
		    is_true(json_object_get(st, "extract")) && word_count(text) >= TEXT_FROM_START_WORDS &&
		    !like_a_trigger(r, text)) {
			/* "Er ligt een kapotte fiets op de stoep": that is the description */
			struct buf tv, ts;

			buf_init(&tv, 8192);
			buf_init(&ts, 8192);
			if (parse_slot(r, st, NULL, text, &tv, &ts))
				set_slot(r, slot, tv.ptr, ts.ptr);
			buf_release(&tv);
			buf_release(&ts);
			continue;
		}
		if ((long)i == skip || !slot || slot_value(r, slot) || !extractable(st) ||
		    type == FLOW_TEXT || json_object_get(st, "when") ||
		    (later && type != FLOW_DATE && type != FLOW_TIME))
			continue;
		if (type == FLOW_KENTEKEN && looks_like_postcode_only(text))
			continue;
		if (json_object_get(st, "options"))
			opts = step_options(r, st);
		buf_init(&value, 8192);
		buf_init(&shown, 8192);
		if (parse_slot(r, st, opts, text, &value, &shown)) {
			if (later) /* checked against its options when its turn comes */
				json_object_set_new(json_object_get(r->state, "early"), slot,
						    json_string(value.ptr));
			else
				set_slot(r, slot, value.ptr, shown.ptr);
		}
		buf_release(&value);
		buf_release(&shown);
		json_decref(opts);
	}
}

/* ------------------------------------------------------------------ */
/* the knowledge base in the middle of a flow                          */

static int looks_like_question(const char *text)
{
	static const char *const words[] = {
		"wat", "hoe", "waar", "wanneer", "waarom", "wie", "welke", "hoeveel", "kan", "kun",
		"mag", "moet", "is", "zijn", "heb", "wat", "what", "how", "where", "when", "why",
		"who", "which", "can", "do", "does", "is", "are", NULL,
	};
	char first[16];
	size_t n = 0;

	if (strchr(text, '?'))
		return 1;
	while (*text == ' ')
		text++;
	while (n < sizeof(first) - 1 && isalpha((unsigned char)text[n])) {
		first[n] = (char)tolower((unsigned char)text[n]);
		n++;
	}
	first[n] = '\0';
	for (const char *const *w = words; *w; w++)
		if (!strcmp(first, *w))
			return 1;
	return 0;
}

/* A question the knowledge base can answer: answer it, then ask the
 * current step again. 1 when it did. */
static int digress(struct run *r, const char *text)
{
	struct kb_result res;
	struct reply_ctx rc = *r->t->reply;

	if (!looks_like_question(text) || !rc.ix)
		return 0;
	memset(&res, 0, sizeof(res));
	kb_index_search(rc.ix, text, r->lang, KB_MAX_HITS, &res);
	if (!res.n || res.confidence < bot_answer_threshold(r->d->bot))
		return 0;
	rc.next_seq += (int64_t)json_array_size(r->t->msgs);
	reply_from_result(&rc, &res, text, r->t->msgs);
	say_catalog(r, "flow", "flow_resume");
	ask(r, st_idx(r), 0);
	return 1;
}

/* ------------------------------------------------------------------ */
/* one message                                                         */

static void failed(struct run *r)
{
	json_int_t fails = json_integer_value(json_object_get(r->state, "fails")) + 1;

	if (fails >= DIALOG_MAX_FAILS) {
		json_t *msg = say_catalog(r, "handoff", "flow_three_fails");

		button_catalog(r, msg, "handoff_button", "handoff:request");
		fails = 0;
	}
	json_object_set_new(r->state, "fails", json_integer(fails));
	ask(r, st_idx(r), 1);
}

static void remember(struct run *r, size_t idx)
{
	json_t *hist = json_object_get(r->state, "hist");

	json_array_append_new(hist, json_integer((json_int_t)idx));
}

/* "terug": ask the previous question again. */
static void go_back(struct run *r)
{
	json_t *hist = json_object_get(r->state, "hist");
	size_t n = json_array_size(hist);

	if (!n) {
		say_catalog(r, "flow", "flow_back_start");
		ask(r, st_idx(r), 0);
		return;
	}
	{
		size_t idx = (size_t)json_integer_value(json_array_get(hist, n - 1));

		json_array_remove(hist, n - 1);
		/* everything asked after it is asked again too */
		for (size_t i = idx; i < json_array_size(json_object_get(r->flow, "steps")); i++) {
			const char *s = json_string_value(json_object_get(flow_step(r, i), "slot"));

			if (s && (i == idx || json_object_get(flow_step(r, i), "options_from")))
				clear_slot(r, s);
		}
		json_object_set_new(r->state, "called", json_integer((json_int_t)idx));
		advance(r, idx);
	}
}

/* The answer to the current step, from text or a quick-reply value. */
static void answer_step(struct run *r, const char *text, const char *chosen)
{
	size_t idx = st_idx(r);
	json_t *step = flow_step(r, idx), *opts = NULL;
	const char *slot = json_string_value(json_object_get(step, "slot"));
	int type = flow_type_parse(json_string_value(json_object_get(step, "type")));
	struct buf value, shown;
	int ok = 0;

	buf_init(&value, 8192);
	buf_init(&shown, 8192);
	if (json_object_get(step, "options") || json_object_get(step, "options_from"))
		opts = step_options(r, step);
	if (chosen) {
		const char *label = opts ? option_label(opts, chosen) : NULL;

		if (label) {
			buf_adds(&value, chosen);
			if (type == FLOW_DATE)
				format_date(r, chosen, &shown);
			else
				buf_adds(&shown, label);
			ok = 1;
		} else if (type == FLOW_YES_NO || type == FLOW_RATING) {
			ok = parse_slot(r, step, NULL, !strcmp(chosen, "yes") ? "ja" : !strcmp(chosen, "no") ? "nee" : chosen,
					&value, &shown);
		}
	} else {
		ok = parse_slot(r, step, opts, text, &value, &shown);
	}
	json_decref(opts);
	if (ok) {
		set_slot(r, slot, value.ptr, shown.ptr);
		remember(r, idx);
		if (text && type != FLOW_TEXT)
			extract_more(r, text, (long)idx);
		advance(r, idx + 1);
	} else if (!(text && type != FLOW_TEXT && digress(r, text))) {
		failed(r);
	}
	buf_release(&value);
	buf_release(&shown);
}

static void start_flow(struct run *r, const json_t *flow, const char *text)
{
	json_decref(r->state);
	r->flow = flow;
	r->state = state_new_flow(flow);
	if (text)
		extract_more(r, text, -1);
	advance(r, 0);
}

/* Quick replies and commands while a flow runs. 1 when handled. */
static int flow_action(struct run *r, const char *action)
{
	const char *phase = st_phase(r);

	if (!strcmp(action, "cancel")) {
		say_catalog(r, "flow", "flow_cancelled");
		end_flow(r);
		return 1;
	}
	if (!strcmp(action, "back")) {
		go_back(r);
		return 1;
	}
	if (!strcmp(phase, "confirm")) {
		if (!strcmp(action, "confirm:yes")) {
			run_action(r);
			return 1;
		}
		if (!strcmp(action, "confirm:no")) {
			json_t *msg = say_catalog(r, "flow", "flow_confirm_edit"), *st;
			size_t i;

			json_array_foreach(json_object_get(r->flow, "steps"), i, st) {
				const char *slot = json_string_value(json_object_get(st, "slot"));
				char payload[80];

				if (!slot || !slot_value(r, slot))
					continue;
				snprintf(payload, sizeof(payload), "edit:%s", slot);
				button(r, msg, slot_label(r, st), payload);
			}
			add_cancel(r, msg);
			st_set_phase(r, "edit");
			return 1;
		}
		return 0;
	}
	if (!strcmp(phase, "edit") && !strncmp(action, "edit:", 5)) {
		long idx = step_of_slot(r, action + 5);

		if (idx < 0)
			return 0;
		clear_slot(r, action + 5);
		for (size_t i = (size_t)idx + 1; i < json_array_size(json_object_get(r->flow, "steps")); i++)
			if (json_object_get(flow_step(r, i), "options_from"))
				clear_slot(r, json_string_value(json_object_get(flow_step(r, i), "slot")));
		advance(r, (size_t)idx);
		return 1;
	}
	if (strcmp(phase, "ask"))
		return 0;
	if (!strcmp(action, "skip")) {
		json_t *step = flow_step(r, st_idx(r));

		if (!is_true(json_object_get(step, "optional")))
			return 0;
		set_slot(r, json_string_value(json_object_get(step, "slot")), "", "");
		remember(r, st_idx(r));
		advance(r, st_idx(r) + 1);
		return 1;
	}
	if (!strncmp(action, "choose:", 7)) {
		answer_step(r, NULL, action + 7);
		return 1;
	}
	if (!strncmp(action, "attachment:", 11)) {
		json_t *step = flow_step(r, st_idx(r));

		if (flow_type_parse(json_string_value(json_object_get(step, "type"))) != FLOW_PHOTO)
			return 0;
		set_slot(r, json_string_value(json_object_get(step, "slot")), action + 11, "foto");
		remember(r, st_idx(r));
		advance(r, st_idx(r) + 1);
		return 1;
	}
	return 0;
}

/* A text while a flow runs. */
static void flow_text(struct run *r, const char *text)
{
	const char *phase = st_phase(r);

	switch (text_parse_command(text)) {
	case TEXT_CMD_CANCEL:
		flow_action(r, "cancel");
		return;
	case TEXT_CMD_BACK:
		go_back(r);
		return;
	case TEXT_CMD_RESTART:
		start_flow(r, r->flow, NULL);
		return;
	default:
		break;
	}
	if (!strcmp(phase, "confirm")) {
		int yn = text_parse_yes_no(text);

		if (yn >= 0) {
			flow_action(r, yn ? "confirm:yes" : "confirm:no");
			return;
		}
		if (digress(r, text))
			return;
		ask_confirm(r);
		return;
	}
	if (!strcmp(phase, "edit")) {
		json_t *steps = json_object_get(r->flow, "steps"), *st, *opts = json_array();
		struct choice_set cs;
		size_t i;
		int k;

		json_array_foreach(steps, i, st) {
			const char *slot = json_string_value(json_object_get(st, "slot"));

			if (slot && slot_value(r, slot))
				json_array_append_new(opts, json_pack("{s:s, s:s}", "value", slot, "label",
								      slot_label(r, st)));
		}
		choice_set_of(opts, &cs);
		k = text_parse_choice(text, cs.c, cs.n);
		if (k >= 0) {
			char payload[80];

			snprintf(payload, sizeof(payload), "edit:%s", cs.c[k].value);
			json_decref(opts);
			flow_action(r, payload);
			return;
		}
		json_decref(opts);
		flow_action(r, "confirm:no");
		return;
	}
	answer_step(r, text, NULL);
}

static size_t word_count(const char *text)
{
	size_t n = 0;
	int in_word = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		int letter = isalnum(*p) || *p >= 0x80;

		if (letter && !in_word)
			n++;
		in_word = letter;
	}
	return n;
}

/* No flow runs: does this message start one? */
static int maybe_start(struct run *r, const char *text, const char *action)
{
	struct nlu_result nr;
	const json_t *flow;
	json_t *msg;

	if (action) {
		flow = flow_for_payload(r->d->flows, action);
		if (!flow)
			return 0;
		start_flow(r, flow, NULL);
		return 1;
	}
	{
		struct buf rest;
		enum bot_intent bi;

		buf_init(&rest, 8192);
		bi = bot_intent_match(r->d->bot, r->lang, text, &rest);
		buf_release(&rest);
		if (bi != BOT_INTENT_NONE && !rest.len)
			return 0; /* small talk, or asking for a person: the usual reply */
	}
	nlu_classify(r->d->nlu, text, r->lang, &nr);
	r->t->intent = nr.intent;
	if (!nr.intent || !strcmp(nr.intent, "faq"))
		return 0;
	flow = flow_find(r->d->flows, nr.intent);
	if (!flow || nr.confidence < DIALOG_CLARIFY_CONFIDENCE)
		return 0;
	/* one word ("vergunning") is too little to start a task on, and so is a
	 * close runner-up: ask */
	if (nr.confidence >= DIALOG_START_CONFIDENCE && word_count(text) >= 2 &&
	    nr.confidence - nr.second_confidence >= DIALOG_START_MARGIN) {
		start_flow(r, flow, text);
		return 1;
	}
	/* unsure: ask, and keep the question for a "no" */
	r->flow = flow;
	msg = say_catalog(r, "clarify", "flow_clarify");
	{
		char payload[64];

		snprintf(payload, sizeof(payload), "flow:%s",
			 json_string_value(json_object_get(flow, "id")));
		button(r, msg, text_in(r, flow, "title"), payload);
	}
	button_catalog(r, msg, "flow_clarify_no", "clarify:no");
	json_decref(r->state);
	r->state = json_pack("{s:s, s:s}", "clarify", text, "clarify_flow",
			     json_string_value(json_object_get(flow, "id")));
	r->flow = NULL;
	return 1;
}

/* Quick replies that are not about the flow's step. */
static int is_general_action(const char *a)
{
	return !strncmp(a, "handoff:", 8) || !strncmp(a, "kb:", 3) || !strncmp(a, "feedback:", 9);
}

static char *state_text(const json_t *state)
{
	return state ? json_dumps(state, JSON_COMPACT) : xstrdup("");
}

int dialog_handle(const struct dialog *d, struct dialog_turn *t, struct lk_err *err)
{
	struct run r = {d, t, t->reply->lang, NULL, NULL, err};
	const char *flow_id;
	int handled = 0;

	t->new_state = NULL;
	t->intent = NULL;
	if (!d || !flow_count(d->flows))
		return DIALOG_PASS;
	if (!t->utc_offset_s)
		t->utc_offset_s = lk_amsterdam_offset(t->now);
	if (t->state && *t->state)
		r.state = json_loads(t->state, 0, NULL);
	flow_id = json_string_value(json_object_get(r.state, "flow"));
	r.flow = flow_find(d->flows, flow_id);
	if (r.state && json_object_get(r.state, "clarify")) {
		/* the held question: "no" answers it from the knowledge base */
		if (t->action && !strcmp(t->action, "clarify:no")) {
			struct reply_ctx rc = *t->reply;
			char *q = xstrdup(json_string_value(json_object_get(r.state, "clarify")));

			json_decref(r.state);
			r.state = NULL;
			reply_to_text(&rc, q, t->msgs, NULL, err);
			free(q);
			t->new_state = xstrdup("");
			return DIALOG_HANDLED;
		}
		json_decref(r.state);
		r.state = NULL;
		t->new_state = xstrdup(""); /* anything else drops the held question */
		handled = maybe_start(&r, t->text, t->action);
		if (handled) {
			free(t->new_state);
			t->new_state = state_text(r.state);
		}
		json_decref(r.state);
		return handled ? DIALOG_HANDLED : DIALOG_PASS;
	}
	if (r.state && !r.flow) {
		/* a flow that no longer exists (the bot changed): forget it */
		json_decref(r.state);
		r.state = NULL;
		t->new_state = xstrdup("");
	}
	if (r.flow) {
		if (t->action && is_general_action(t->action)) {
			/* a person, a knowledge-base entry, feedback: the usual reply;
			 * the flow waits where it was */
			json_decref(r.state);
			return DIALOG_PASS;
		}
		if (t->action) {
			if (!strncmp(t->action, "flow:", 5) || flow_for_payload(d->flows, t->action))
				handled = maybe_start(&r, NULL, t->action);
			else
				handled = flow_action(&r, t->action);
			if (!handled) {
				json_decref(r.state);
				return lk_err_setr(err, LK_EINVAL, "unknown_action",
						   "that button belongs to an earlier question");
			}
		} else {
			flow_text(&r, t->text);
			handled = 1;
		}
	} else {
		int is_flow_payload = t->action && (!strncmp(t->action, "choose:", 7) ||
						    !strncmp(t->action, "confirm:", 8) ||
						    !strncmp(t->action, "edit:", 5) ||
						    !strcmp(t->action, "skip") ||
						    !strcmp(t->action, "cancel") ||
						    !strcmp(t->action, "back") ||
						    !strcmp(t->action, "clarify:no") ||
						    !strncmp(t->action, "attachment:", 11));

		if (t->text && text_parse_command(t->text) != TEXT_CMD_NONE) {
			/* "stop" or "terug" with nothing running */
			say_catalog(&r, "flow", "flow_gone");
			return DIALOG_HANDLED;
		}
		handled = maybe_start(&r, t->text, t->action);
		if (!handled && is_flow_payload) {
			say_catalog(&r, "flow", "flow_gone");
			handled = 1;
		}
	}
	if (handled) {
		free(t->new_state);
		t->new_state = state_text(r.state);
	}
	json_decref(r.state);
	return handled ? DIALOG_HANDLED : DIALOG_PASS;
}

static int plug_handle(const void *impl, struct dialog_turn *t, struct lk_err *err)
{
	return dialog_handle(impl, t, err);
}

void dialog_plug(const struct dialog *d, struct conv_flows *ops)
{
	ops->impl = d;
	ops->handle = plug_handle;
	ops->describe = dialog_describe;
}

json_t *dialog_describe(const char *state)
{
	json_t *s = state && *state ? json_loads(state, 0, NULL) : NULL, *out = NULL;

	if (json_string_value(json_object_get(s, "flow"))) {
		const char *phase = json_string_value(json_object_get(s, "phase"));

		out = json_pack("{s:O, s:O, s:O, s:O, s:O}", "flow", json_object_get(s, "flow"),
				"phase", json_object_get(s, "phase"), "step", json_object_get(s, "step"),
				"idx", json_object_get(s, "idx"), "slots", json_object_get(s, "slots"));
		if (phase && !strcmp(phase, "edit"))
			json_object_set_new(out, "step", json_string("edit"));
	}
	json_decref(s);
	return out;
}
