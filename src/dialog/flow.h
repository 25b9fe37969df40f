/* flow.h - guided conversations written as YAML by non-programmers: the
 * files in a bot's flows/ folder, loaded and checked once.
 *
 * A flow has an id, a title, triggers (example utterances per language and
 * quick-reply payloads), a list of steps, an optional confirmation and an
 * action. A step either asks for a slot (typed, with a question and a
 * re-ask text per language, options, a condition) or calls an operation
 * and says something about its result. Every mistake a writer can make is
 * refused at load time with the file, the line and the reason, so
 * `loket serve` and `loket check` fail before a citizen sees a broken flow.
 *
 * A loaded flow is kept as its checked JSON tree (read-only afterwards);
 * the engine (dialog.c) reads it directly.
 *
 *   id: afspraak
 *   title: {nl: Afspraak maken, en: Book an appointment}
 *   triggers:
 *     payloads: [afspraak]
 *     examples: {nl: [ik wil een afspraak maken], en: [book an appointment]}
 *   steps:
 *     - slot: product
 *       type: choice
 *       options_from: appointments.products
 *       ask: {nl: Waarvoor komt u?, en: What is it for?}
 *       reask: {nl: Kies een van de knoppen., en: Please pick one of the buttons.}
 *     - call: meldingen.nearby
 *       args: {category: "{category}"}
 *       say_if: reports
 *       say: {nl: "Er is hier al een melding van.", en: "This was reported already."}
 *   confirm: {nl: "Klopt dit?\n{summary}", en: "Is this right?\n{summary}"}
 *   action:
 *     op: appointments.book
 *     done: {nl: "Uw afspraak staat. Nummer: {reference}.", en: ...}
 *     errors: {full: {say: {nl: ..., en: ...}, goto: time}}
 */
#ifndef LK_FLOW_H
#define LK_FLOW_H

#include "core/err.h"

#include <jansson.h>
#include <stddef.h>

#define FLOW_MAX 32          /* flows per bot */
#define FLOW_MAX_STEPS 32    /* steps per flow */

/* The slot types the engine understands. */
enum flow_slot_type {
	FLOW_TEXT, FLOW_CHOICE, FLOW_DATE, FLOW_TIME, FLOW_POSTCODE, FLOW_HOUSE_NUMBER,
	FLOW_ADDRESS, FLOW_BSN, FLOW_EMAIL, FLOW_PHONE, FLOW_IBAN, FLOW_KENTEKEN, FLOW_YES_NO,
	FLOW_NUMBER, FLOW_RATING, FLOW_PHOTO, FLOW_REFERENCE, FLOW_TYPE_COUNT
};

struct flow_set;

/* Loads every *.yaml file in bot_dir/flows (sorted by name; no folder: no
 * flows). langs: the bot's languages; every text must exist in each.
 * Caller frees with flow_set_free(). */
int flow_set_load(struct flow_set **out, const char *bot_dir, const char *const *langs,
		  size_t n_langs, struct lk_err *err);
void flow_set_free(struct flow_set *fs);

size_t flow_count(const struct flow_set *fs);
/* The checked tree of flow i, or NULL. Borrowed. */
const json_t *flow_at(const struct flow_set *fs, size_t i);
/* The flow with this id, or NULL. */
const json_t *flow_find(const struct flow_set *fs, const char *id);
/* The flow a quick-reply payload starts ("flow:<id>", or one of its
 * triggers.payloads), or NULL. */
const json_t *flow_for_payload(const struct flow_set *fs, const char *payload);

#define FLOW_ID_MAX 40 /* bytes of a flow (or step) id */

/* 1 when s is an id flows accept: [a-z0-9_-], 1..FLOW_ID_MAX bytes. */
int flow_id_valid(const char *s);

/* "date" -> FLOW_DATE; -1 for an unknown name. */
int flow_type_parse(const char *name);
const char *flow_type_name(enum flow_slot_type t);

#endif
