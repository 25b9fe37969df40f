/* integ.h - the operations guided flows call: built-in backends that keep
 * everything in Loket's own store (appointments with capacity, meldingen
 * openbare ruimte, demo addresses, parking permits, case status, feedback and
 * photo attachments). Real systems (JCC, Qmatic, Signalen, ZGW, PDOK) will
 * plug in behind the same operation names.
 *
 * The flow engine calls an operation by name with a JSON object of arguments
 * (the filled slots) and shows the JSON result. Every operation is
 * deterministic for a given clock (ctx->now) except the random references it
 * hands out, checks every argument (types, lengths, formats) and uses only
 * parameterised SQL. Functions are thread-safe: they share nothing but the
 * store.
 *
 * Operations (arguments -> result; "options" are [{"value","label"}]):
 *   appointments.products {}                          -> {"options"}
 *   appointments.locations {product}                  -> {"options"}
 *   appointments.days {product, location, from?}      -> {"days":["YYYY-MM-DD"]}
 *   appointments.times {product, location, date}      -> {"times":["HH:MM"]}
 *   appointments.book {product, location, date, time, name, email}
 *       -> {"reference":"AF-XXXXXX","date","time","location_label","product_label"}
 *   appointments.get {reference}                      -> the same plus "status"
 *   appointments.cancel {reference}                   -> {"cancelled":true}
 *   appointments.move {reference, date, time}         -> as appointments.get
 *   meldingen.suggest {text}       -> {"options":[{"value","label","main"}]} (top 3)
 *   meldingen.nearby {category, lat, lon}
 *       -> {"reports":[{"reference","category","created","distance_m"}]}
 *   meldingen.create {description, category, lat, lon, address, photo?, email?,
 *                     phone?, anonymous?}             -> {"reference":"ME-XXXXXX"}
 *   geo.lookup {postcode, number, letter?, addition?} -> {"address","lat","lon",...}
 *   geo.search {text}                                 -> as geo.lookup
 *   permits.types {}                                  -> {"options"}
 *   permits.register {type, name, postcode, number, kenteken, email, iban?}
 *       -> {"reference":"PV-XXXXXX"}
 *   cases.status {reference} -> {"reference","title","status","date","next_step"}
 *   feedback.store {rating, comment?}                 -> {"stored":true}
 *   feedback.summary {}   -> {"count","average","by_rating":[{"rating","count"}]}
 *   attachments.put {conv_id, content_type, data (base64)} -> {"id","content_type","size"}
 *   tickets.create {conv_id, question, name, email?, phone?} -> {"reference":"VR-XXXXXX"}
 *       (a question left outside office hours, for the team of the latest handoff)
 *
 * Errors: a refusal is LK_EINVAL with err->reason one stable word the flow
 * engine can branch on: "invalid" (an argument is missing or malformed),
 * "full", "past", "closed", "cancelled", "exists". An unknown reference,
 * address or case is LK_ENOTFOUND with reason "not_found"; an unknown
 * operation LK_EUNSUPPORTED ("unknown_op"). Messages are English, for logs.
 */
#ifndef LK_INTEG_H
#define LK_INTEG_H

#include "core/err.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct integ_ctx {
	struct store *st;
	const char *bot;  /* bot id: every row is per bot */
	const char *lang; /* "nl" or "en": labels in results (anything else: "nl") */
	int64_t now;      /* unix seconds */
	int utc_offset_s; /* local time = now + utc_offset_s (3600 or 7200 in NL) */
};

/* Calls `op` with args (a borrowed JSON object; NULL counts as {}). On
 * success *out is a new JSON object (caller decrefs); on failure *out is
 * NULL and err says why (see above). */
int integ_call(const struct integ_ctx *c, const char *op, json_t *args, json_t **out,
	       struct lk_err *err);

/* Whether `op` names an operation (for checking flow definitions). */
bool integ_op_known(const char *op);

/* Seeds the bot's reference data from the files in data_dir (the bot's data/
 * folder): afspraken.json, vergunningen.json, categories.json with
 * melding-keywords.json, adressen.csv and zaken.csv. A missing file is
 * skipped; a malformed one fails with "FILE:LINE: ..." and seeds nothing.
 * Idempotent: data identical to what was seeded last changes nothing, changed
 * data replaces the reference data (bookings and records stay). */
int integ_seed(struct store *st, const char *bot, const char *data_dir, struct lk_err *err);

/* --- attachments --- */
#define INTEG_ATTACHMENT_MAX STORE_ATTACHMENT_MAX /* 5 MiB */

/* Stores a photo for the bot's conversation conv_id: data[0..len) must be a
 * JPEG, PNG or WebP image (checked by its magic bytes) of the declared type
 * ("image/jpeg", "image/png", "image/webp"; NULL: as detected), at most
 * INTEG_ATTACHMENT_MAX bytes. Writes its id (32 hex characters) to id_out.
 * It is deleted with the conversation. LK_EINVAL ("invalid") for a bad
 * type or size, LK_ENOTFOUND ("not_found") for an unknown conversation. */
int integ_attachment_put(struct store *st, const char *bot, const char *conv_id,
			 const char *type, const void *data, size_t len,
			 char id_out[STORE_ATTACHMENT_ID_LEN + 1], struct lk_err *err);

#endif
