/* bot.h - one bot: its configuration (bot.yaml), its message catalogues
 * (messages/<lang>.yaml) and where its knowledge base lives.
 *
 * A bot is loaded once and read-only afterwards, so every thread may read it.
 * bot.yaml is strict: an unknown key is an error naming file and line.
 */
#ifndef LK_BOT_H
#define LK_BOT_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>

#define BOT_MAX_LANGS 8

/* The small-talk intents every bot understands (phrases in the catalogue). */
enum bot_intent {
	BOT_INTENT_NONE = 0,
	BOT_INTENT_GREETING,
	BOT_INTENT_THANKS,
	BOT_INTENT_GOODBYE,
	BOT_INTENT_WHO,
	BOT_INTENT_HUMAN,
	BOT_INTENT_COUNT
};

struct bot;

/* Loads DIR/bot.yaml and DIR/messages/LANG.yaml for each language. Caller frees with bot_free(). */
int bot_load(struct bot **out, const char *dir, struct lk_err *err);
void bot_free(struct bot *b);

/* --- configuration (borrowed strings, valid while the bot lives) --- */
const char *bot_dir(const struct bot *b);
const char *bot_id(const struct bot *b);
const char *bot_name(const struct bot *b);
const char *bot_default_lang(const struct bot *b);
int bot_has_lang(const struct bot *b, const char *lang);
/* Fills langs (borrowed codes) with the bot's languages; returns how many. */
size_t bot_languages(const struct bot *b, const char **langs, size_t max);
/* Path of the synonyms file, or NULL when the bot has none. */
const char *bot_synonyms_path(const struct bot *b);
double bot_answer_threshold(const struct bot *b);
double bot_suggest_threshold(const struct bot *b);
size_t bot_snippet_chars(const struct bot *b);

/* The `llm:` and `embeddings:` sections, or NULL when the bot has none. */
struct llm_config;
const struct llm_config *bot_llm(const struct bot *b);
const struct llm_config *bot_embeddings(const struct bot *b);

/* channels.web.allowed_origins: NULL-terminated, never NULL. */
const char *const *bot_allowed_origins(const struct bot *b);
/* The channels.<name> section (whatsapp, telegram) as read, or NULL. */
struct json_t;
const struct json_t *bot_channel(const struct bot *b, const char *name);

/* The `handoff:` section (src/handoff/handoff_config.h), or NULL when the
 * bot has none. */
struct handoff_config;
const struct handoff_config *bot_handoff(const struct bot *b);

/* --- messages --- */
/* Appends catalogue message `key` in `lang` to out, with {bot_name},
 * {contact_phone}, {contact_url} and {contact_hours} filled in. Falls back to
 * the bot's default language, then to the key itself (never fails silently:
 * a missing key is caught by bot_load). */
int bot_message(const struct bot *b, const char *lang, const char *key, struct buf *out);
/* Like bot_message(), with more placeholders: vars holds name, value pairs
 * and ends with NULL (vars NULL: none); they win over the bot's own. An
 * unknown {name} stays as written. */
int bot_message_vars(const struct bot *b, const char *lang, const char *key,
		     const char *const *vars, struct buf *out);
/* Appends item i (from 0) of a comma-separated catalogue list such as
 * date_days ("zondag,maandag,..."), without surrounding spaces; 1, or 0
 * (nothing appended) when the list has no such item. */
int bot_message_item(const struct bot *b, const char *lang, const char *key, size_t i,
		     struct buf *out);

/* Which small-talk intent a message is, if it is one. `rest` receives what
 * follows a greeting ("hallo, waar haal ik mijn paspoort?" → greeting with
 * the rest "waar haal ik mijn paspoort?"), or is left empty. */
enum bot_intent bot_intent_match(const struct bot *b, const char *lang, const char *text,
				 struct buf *rest);

#endif
