/* bot.c - loading bot.yaml and the message catalogues; message formatting
 * and small-talk intent matching (see bot.h).
 */
#include "conv/bot.h"

#include "core/mem.h"
#include "core/yaml_json.h"
#include "handoff/handoff_config.h"
#include "llm/llm_config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

#define PHRASE_MAX 256

/* Every catalogue must define these messages. */
static const char *const message_keys[] = {
	"ai_notice",         "answer_source",    "feedback_helped",    "feedback_not_helped",
	"feedback_thanks",   "feedback_sorry",   "suggestions_intro",  "fallback",
	"handoff_offer",     "handoff_button",   "smalltalk_greeting", "smalltalk_thanks",
	"smalltalk_goodbye", "smalltalk_who",    "more_button",        NULL,
};

static const char *const intent_names[BOT_INTENT_COUNT] = {
	[BOT_INTENT_GREETING] = "greeting", [BOT_INTENT_THANKS] = "thanks",
	[BOT_INTENT_GOODBYE] = "goodbye",   [BOT_INTENT_WHO] = "who",
	[BOT_INTENT_HUMAN] = "human",
};

static const char *const bot_yaml_keys[] = {
	"id", "name", "default_lang", "languages",
	"contact", "contact.phone", "contact.url", "contact.hours",
	"retrieval", "retrieval.answer_threshold", "retrieval.suggest_threshold",
	"retrieval.snippet_chars", "retrieval.synonyms",
	"llm", "llm.base_url", "llm.model", "llm.api_key", "llm.api_key_env", "llm.timeout_ms",
	"llm.connect_timeout_ms", "llm.first_token_ms", "llm.max_tokens", "llm.temperature",
	"llm.retries", "llm.breaker_failures", "llm.breaker_cooldown_ms", "llm.passages",
	"llm.history_turns",
	"embeddings", "embeddings.base_url", "embeddings.model", "embeddings.api_key",
	"embeddings.api_key_env", "embeddings.timeout_ms", "embeddings.connect_timeout_ms",
	"embeddings.retries", "embeddings.min_similarity", "embeddings.batch",
	"channels", "channels.web", "channels.web.allowed_origins",
	"channels.whatsapp", "channels.whatsapp.phone_number_id", "channels.whatsapp.api_base",
	"channels.whatsapp.access_token_env", "channels.whatsapp.app_secret_env",
	"channels.whatsapp.verify_token_env",
	"channels.telegram", "channels.telegram.api_base", "channels.telegram.bot_token_env",
	"channels.telegram.secret_token_env",
	"handoff", "handoff.agent_timeout_s", "handoff.fallbacks", "handoff.minutes_per_conversation",
	"handoff.default_team", "handoff.holidays", "handoff.teams", "handoff.teams.id",
	"handoff.teams.name", "handoff.teams.name.*", "handoff.teams.keywords", "handoff.teams.flows",
	"handoff.teams.hours", "handoff.teams.hours.mon", "handoff.teams.hours.tue",
	"handoff.teams.hours.wed", "handoff.teams.hours.thu", "handoff.teams.hours.fri",
	"handoff.teams.hours.sat", "handoff.teams.hours.sun", "handoff.teams.holidays",
	"handoff.always_human", "handoff.always_human.topics", "handoff.always_human.team",
	"handoff.always_human.notice", "handoff.canned", "handoff.canned.*",
	NULL,
};

/* Catalogue messages a bot with a `handoff:` section needs as well. */
static const char *const handoff_message_keys[] = {
	"handoff_queued", "handoff_cancel_button", "handoff_cancelled", "handoff_assigned",
	"handoff_transferred", "handoff_requeued", "handoff_returned", "handoff_closed",
	"handoff_closed_hours", "handoff_next_open_format", "handoff_never_open",
	"handoff_ticket_button", "handoff_no_button", "handoff_declined", "handoff_still_waiting",
	NULL,
};

/* Catalogue messages a bot with flows (a flows/ folder) needs as well. */
static const char *const flow_message_keys[] = {
	"flow_cancel_button", "flow_skip_button", "flow_yes", "flow_no", "flow_cancelled",
	"flow_confirm_edit", "flow_three_fails", "flow_error", "flow_clarify", "flow_clarify_no",
	"flow_gone", "flow_back_start", "flow_resume", "date_days", "date_months", NULL,
};

/* Catalogue messages a bot with an `llm:` section needs as well. */
static const char *const llm_message_keys[] = {"llm_system", NULL};

static const char *const catalog_keys[] = {
	"messages", "messages.*", "intents", "intents.*", NULL,
};

struct catalog {
	char lang[8];
	json_t *messages;                       /* key -> string */
	char **phrases[BOT_INTENT_COUNT];       /* normalised, NULL-terminated */
};

struct bot {
	char *dir, *id, *name, *default_lang;
	char *contact_phone, *contact_url, *contact_hours;
	char *synonyms_path;
	double answer_threshold, suggest_threshold;
	size_t snippet_chars;
	struct catalog catalogs[BOT_MAX_LANGS];
	size_t n_catalogs;
	struct llm_config llm, embeddings;
	int has_llm, has_embeddings;
	char **origins;          /* NULL-terminated */
	json_t *channels;        /* the channels section (whatsapp, telegram) */
	struct handoff_config *handoff; /* the handoff section, or NULL */
};

/* Case-folds, strips accents and punctuation, collapses spaces. Caller frees. */
static char *normalise_phrase(const char *s)
{
	utf8proc_uint8_t *folded = NULL;
	struct buf b;
	int space = 1;

	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &folded,
			 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
				 UTF8PROC_STRIPMARK) < 0)
		return xstrdup("");
	buf_init(&b, 4096);
	for (const utf8proc_uint8_t *p = folded; *p; p++) {
		int word = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p >= 0x80 ||
			   *p == '\'';

		if (word) {
			buf_addc(&b, (char)*p);
			space = 0;
		} else if (!space) {
			buf_addc(&b, ' ');
			space = 1;
		}
	}
	free(folded);
	buf_rtrim(&b);
	return buf_detach(&b, NULL);
}

static char *config_string(json_t *root, const char *section, const char *key, const char *dflt)
{
	json_t *v = section ? json_object_get(json_object_get(root, section), key)
			    : json_object_get(root, key);

	return xstrdup(json_is_string(v) ? json_string_value(v) : dflt);
}

static void catalog_release(struct catalog *c)
{
	json_decref(c->messages);
	for (int i = 0; i < BOT_INTENT_COUNT; i++) {
		for (char **p = c->phrases[i]; p && *p; p++)
			free(*p);
		free(c->phrases[i]);
	}
}

static int load_phrases(struct catalog *c, json_t *intents, const char *path, struct lk_err *err)
{
	for (int i = 1; i < BOT_INTENT_COUNT; i++) {
		json_t *list = json_object_get(intents, intent_names[i]);
		size_t n = json_array_size(list), k = 0;

		if (!json_is_array(list))
			return lk_err_set(err, LK_ECONFIG, "%s: intents.%s must be a list of phrases", path,
					  intent_names[i]);
		c->phrases[i] = xcalloc(n + 1, sizeof(char *));
		for (size_t j = 0; j < n; j++) {
			const char *s = json_string_value(json_array_get(list, j));

			if (!s || strlen(s) > PHRASE_MAX)
				return lk_err_set(err, LK_ECONFIG, "%s: intents.%s[%zu] must be a short phrase",
						  path, intent_names[i], j);
			c->phrases[i][k] = normalise_phrase(s);
			if (*c->phrases[i][k])
				k++;
			else
				free(c->phrases[i][k]);
		}
		c->phrases[i][k] = NULL;
	}
	return 0;
}

static int load_catalog(struct catalog *c, const char *path, const char *lang, struct lk_err *err)
{
	json_t *root = NULL, *msgs;
	const char *key;
	json_t *val;
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->lang, sizeof(c->lang), "%s", lang);
	rc = yaml_json_load(path, catalog_keys, &root, err);
	if (rc)
		return rc;
	msgs = json_object_get(root, "messages");
	if (!json_is_object(msgs)) {
		rc = lk_err_set(err, LK_ECONFIG, "%s: 'messages' must be a mapping", path);
		goto out;
	}
	json_object_foreach(msgs, key, val) {
		if (!json_is_string(val)) {
			rc = lk_err_set(err, LK_ECONFIG, "%s: messages.%s must be text", path, key);
			goto out;
		}
	}
	for (const char *const *k = message_keys; *k; k++) {
		if (!json_object_get(msgs, *k)) {
			rc = lk_err_set(err, LK_ECONFIG, "%s: message '%s' is missing", path, *k);
			goto out;
		}
	}
	c->messages = json_incref(msgs);
	rc = load_phrases(c, json_object_get(root, "intents"), path, err);
out:
	json_decref(root);
	return rc;
}

static int valid_lang(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return 0;
	}
	return 1;
}

static int load_languages(struct bot *b, json_t *root, const char *path, struct lk_err *err)
{
	json_t *langs = json_object_get(root, "languages");
	struct buf p;
	int rc = 0;

	if (!json_is_array(langs) || !json_array_size(langs))
		return lk_err_set(err, LK_ECONFIG, "%s: 'languages' must list at least one language", path);
	if (json_array_size(langs) > BOT_MAX_LANGS)
		return lk_err_set(err, LK_ECONFIG, "%s: at most %d languages", path, BOT_MAX_LANGS);
	buf_init(&p, 4096);
	for (size_t i = 0; i < json_array_size(langs) && !rc; i++) {
		const char *lang = json_string_value(json_array_get(langs, i));

		if (!lang || !valid_lang(lang)) {
			rc = lk_err_set(err, LK_ECONFIG, "%s: languages[%zu] must be a code like 'nl'", path, i);
			break;
		}
		buf_reset(&p);
		buf_addf(&p, "%s/messages/%s.yaml", b->dir, lang);
		rc = load_catalog(&b->catalogs[b->n_catalogs], p.ptr, lang, err);
		b->n_catalogs++;
	}
	buf_release(&p);
	if (!rc && !bot_has_lang(b, b->default_lang))
		rc = lk_err_set(err, LK_ECONFIG, "%s: default_lang '%s' is not in 'languages'", path,
				b->default_lang);
	return rc;
}

static int load_retrieval(struct bot *b, json_t *root, const char *path, struct lk_err *err)
{
	json_t *r = json_object_get(root, "retrieval");
	json_t *v;
	double d;
	int rc;

	b->answer_threshold = 0.5;
	b->suggest_threshold = 0.2;
	b->snippet_chars = 600;
	if ((v = json_object_get(r, "answer_threshold"))) {
		if ((rc = yaml_json_number(v, 0, 1, "retrieval.answer_threshold", &b->answer_threshold, err)))
			return rc;
	}
	if ((v = json_object_get(r, "suggest_threshold"))) {
		if ((rc = yaml_json_number(v, 0, 1, "retrieval.suggest_threshold", &b->suggest_threshold, err)))
			return rc;
	}
	if ((v = json_object_get(r, "snippet_chars"))) {
		if ((rc = yaml_json_number(v, 100, 4000, "retrieval.snippet_chars", &d, err)))
			return rc;
		b->snippet_chars = (size_t)d;
	}
	if (b->suggest_threshold > b->answer_threshold)
		return lk_err_set(err, LK_ECONFIG, "%s: suggest_threshold must not exceed answer_threshold",
				  path);
	if ((v = json_object_get(r, "synonyms"))) {
		struct buf p;

		if (!json_is_string(v))
			return lk_err_set(err, LK_ECONFIG, "%s: retrieval.synonyms must be a file name", path);
		buf_init(&p, 4096);
		buf_addf(&p, "%s/%s", b->dir, json_string_value(v));
		b->synonyms_path = buf_detach(&p, NULL);
	}
	return 0;
}

/* A whole number in [min, max] from section.key, or dflt when absent. */
static int config_uint(json_t *sec, const char *section, const char *key, unsigned min,
		       unsigned max, unsigned dflt, unsigned *out, struct lk_err *err)
{
	json_t *v = json_object_get(sec, key);
	char what[64];
	double d;
	int rc;

	*out = dflt;
	if (!v)
		return 0;
	snprintf(what, sizeof(what), "%s.%s", section, key);
	if ((rc = yaml_json_number(v, min, max, what, &d, err)))
		return rc;
	*out = (unsigned)d;
	return 0;
}

/* http:// or https:// and nothing odd. */
static int valid_base_url(const char *u)
{
	if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
		return 0;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\')
			return 0;
	return strlen(u) < 512;
}

/* The `llm:` or `embeddings:` section. The API key comes from the
 * environment variable named by api_key_env, or from api_key itself (not
 * recommended: bot.yaml is often in version control). */
static int load_model_section(json_t *root, const char *section, const char *path,
			      struct llm_config *c, int *present, struct lk_err *err)
{
	json_t *sec = json_object_get(root, section), *v;
	double d;
	int rc;

	memset(c, 0, sizeof(*c));
	*present = 0;
	if (!sec)
		return 0;
	if (!json_is_object(sec))
		return lk_err_set(err, LK_ECONFIG, "%s: '%s' must be a mapping", path, section);
	c->base_url = config_string(root, section, "base_url", "");
	c->model = config_string(root, section, "model", "");
	if (!valid_base_url(c->base_url) || !*c->model)
		return lk_err_set(err, LK_ECONFIG,
				  "%s: %s.base_url (http://host:port/v1) and %s.model are required",
				  path, section, section);
	if ((v = json_object_get(sec, "api_key_env"))) {
		const char *name = json_string_value(v), *val;

		if (!name || !*name)
			return lk_err_set(err, LK_ECONFIG, "%s: %s.api_key_env must name a variable",
					  path, section);
		c->api_key_env = xstrdup(name);
		val = getenv(name);
		if (!val || !*val)
			return lk_err_set(err, LK_ECONFIG,
					  "%s: %s.api_key_env names %s, but that environment variable is not set",
					  path, section, name);
		c->api_key = xstrdup(val);
	} else if ((v = json_object_get(sec, "api_key"))) {
		c->api_key = xstrdup(json_string_value(v));
	}
	if ((rc = config_uint(sec, section, "timeout_ms", 100, 600000, LLM_DEFAULT_TIMEOUT_MS,
			      &c->timeout_ms, err)) ||
	    (rc = config_uint(sec, section, "connect_timeout_ms", 10, 60000,
			      LLM_DEFAULT_CONNECT_TIMEOUT_MS, &c->connect_timeout_ms, err)) ||
	    (rc = config_uint(sec, section, "first_token_ms", 10, 600000,
			      LLM_DEFAULT_FIRST_TOKEN_MS, &c->first_token_ms, err)) ||
	    (rc = config_uint(sec, section, "max_tokens", 16, 8192, LLM_DEFAULT_MAX_TOKENS,
			      &c->max_tokens, err)) ||
	    (rc = config_uint(sec, section, "retries", 0, 5, LLM_DEFAULT_RETRIES, &c->retries,
			      err)) ||
	    (rc = config_uint(sec, section, "breaker_failures", 1, 1000,
			      LLM_DEFAULT_BREAKER_FAILURES, &c->breaker_failures, err)) ||
	    (rc = config_uint(sec, section, "breaker_cooldown_ms", 100, 3600000,
			      LLM_DEFAULT_BREAKER_COOLDOWN_MS, &c->breaker_cooldown_ms, err)) ||
	    (rc = config_uint(sec, section, "passages", 1, 8, LLM_DEFAULT_PASSAGES, &c->passages,
			      err)) ||
	    (rc = config_uint(sec, section, "history_turns", 0, 20, LLM_DEFAULT_HISTORY_TURNS,
			      &c->history_turns, err)) ||
	    (rc = config_uint(sec, section, "batch", 1, 256, LLM_DEFAULT_BATCH, &c->batch, err)))
		return rc;
	c->temperature = 0.2;
	if ((v = json_object_get(sec, "temperature")) &&
	    (rc = yaml_json_number(v, 0, 2, "llm.temperature", &c->temperature, err)))
		return rc;
	c->min_similarity = LLM_DEFAULT_MIN_SIMILARITY;
	if ((v = json_object_get(sec, "min_similarity")) &&
	    (rc = yaml_json_number(v, 0, 1, "embeddings.min_similarity", &d, err)))
		return rc;
	if (v)
		c->min_similarity = d;
	*present = 1;
	return 0;
}

static int check_flow_messages(const struct bot *b, struct lk_err *err)
{
	struct buf dir;
	struct stat sb;
	int has_flows;

	buf_init(&dir, 4096);
	buf_addf(&dir, "%s/flows", b->dir);
	has_flows = stat(dir.ptr, &sb) == 0 && S_ISDIR(sb.st_mode);
	buf_release(&dir);
	if (!has_flows)
		return 0;
	for (size_t i = 0; i < b->n_catalogs; i++) {
		for (const char *const *k = flow_message_keys; *k; k++) {
			if (!json_object_get(b->catalogs[i].messages, *k))
				return lk_err_set(err, LK_ECONFIG,
						  "%s/messages/%s.yaml: message '%s' is missing (needed with flows/)",
						  b->dir, b->catalogs[i].lang, *k);
		}
	}
	return 0;
}

static int check_channel_messages(const struct bot *b, struct lk_err *err)
{
	static const char *const keys[] = {"channel_choose", "channel_menu", "channel_unsupported",
					   NULL};

	if (!json_object_get(b->channels, "whatsapp") && !json_object_get(b->channels, "telegram"))
		return 0;
	for (size_t i = 0; i < b->n_catalogs; i++)
		for (const char *const *k = keys; *k; k++)
			if (!json_object_get(b->catalogs[i].messages, *k))
				return lk_err_set(err, LK_ECONFIG,
						  "%s/messages/%s.yaml: message '%s' is missing (needed with WhatsApp or Telegram)",
						  b->dir, b->catalogs[i].lang, *k);
	return 0;
}

static int check_llm_messages(const struct bot *b, struct lk_err *err)
{
	if (!b->has_llm)
		return 0;
	for (size_t i = 0; i < b->n_catalogs; i++) {
		for (const char *const *k = llm_message_keys; *k; k++) {
			if (!json_object_get(b->catalogs[i].messages, *k))
				return lk_err_set(err, LK_ECONFIG,
						  "%s/messages/%s.yaml: message '%s' is missing (needed with 'llm:')",
						  b->dir, b->catalogs[i].lang, *k);
		}
	}
	return 0;
}

/* The handoff section: its own checks (handoff_config.c), then every
 * catalogue message it says: the fixed ones and each topic's notice. */
static int load_handoff(struct bot *b, json_t *root, const char *path, struct lk_err *err)
{
	json_t *sec = json_object_get(root, "handoff"), *topic;
	const char *langs[BOT_MAX_LANGS];
	size_t n = bot_languages(b, langs, BOT_MAX_LANGS), i;
	int rc;

	if (!sec)
		return 0;
	if ((rc = handoff_config_load(&b->handoff, sec, path, langs, n, err)))
		return rc;
	for (size_t c = 0; c < b->n_catalogs; c++) {
		const json_t *msgs = b->catalogs[c].messages;

		for (const char *const *k = handoff_message_keys; *k; k++)
			if (!json_object_get(msgs, *k))
				return lk_err_set(err, LK_ECONFIG,
						  "%s/messages/%s.yaml: message '%s' is missing (needed with 'handoff:')",
						  b->dir, b->catalogs[c].lang, *k);
		json_array_foreach(json_object_get(sec, "always_human"), i, topic) {
			const char *notice = json_string_value(json_object_get(topic, "notice"));

			if (notice && !json_object_get(msgs, notice))
				return lk_err_set(err, LK_ECONFIG,
						  "%s/messages/%s.yaml: message '%s' is missing (handoff.always_human notice)",
						  b->dir, b->catalogs[c].lang, notice);
		}
	}
	return 0;
}

/* "https://www.gemeente.nl" or "http://127.0.0.1:8081": scheme, host,
 * optional port, nothing else. */
static int valid_origin(const char *o)
{
	const char *h;

	if (!strncmp(o, "https://", 8))
		h = o + 8;
	else if (!strncmp(o, "http://", 7))
		h = o + 7;
	else
		return 0;
	if (!*h || strlen(o) > 200)
		return 0;
	for (; *h; h++)
		if (!(isalnum((unsigned char)*h) || *h == '.' || *h == '-' || *h == ':' || *h == '[' ||
		      *h == ']'))
			return 0;
	return 1;
}

static int load_channels(struct bot *b, json_t *root, const char *path, struct lk_err *err)
{
	json_t *ch = json_object_get(root, "channels");
	json_t *list = json_object_get(json_object_get(ch, "web"), "allowed_origins");
	size_t n = json_array_size(list);

	if (list && !json_is_array(list))
		return lk_err_set(err, LK_ECONFIG, "%s: channels.web.allowed_origins must be a list", path);
	b->origins = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *o = json_string_value(json_array_get(list, i));

		if (!o || !valid_origin(o))
			return lk_err_set(err, LK_ECONFIG,
					  "%s: channels.web.allowed_origins[%zu] must be an origin like https://www.gemeente.nl (no path)",
					  path, i);
		b->origins[i] = xstrdup(o);
	}
	b->channels = json_incref(ch);
	return 0;
}

int bot_load(struct bot **out, const char *dir, struct lk_err *err)
{
	struct bot *b = xcalloc(1, sizeof(*b));
	json_t *root = NULL;
	struct buf path;
	int rc;

	*out = NULL;
	b->dir = xstrdup(dir);
	buf_init(&path, 4096);
	buf_addf(&path, "%s/bot.yaml", dir);
	rc = yaml_json_load(path.ptr, bot_yaml_keys, &root, err);
	if (rc)
		goto fail;
	b->id = config_string(root, NULL, "id", "");
	b->name = config_string(root, NULL, "name", "");
	b->default_lang = config_string(root, NULL, "default_lang", "nl");
	b->contact_phone = config_string(root, "contact", "phone", "14 0000");
	b->contact_url = config_string(root, "contact", "url", "");
	b->contact_hours = config_string(root, "contact", "hours", "");
	if (!*b->id || strlen(b->id) > 63 || !*b->name) {
		rc = lk_err_set(err, LK_ECONFIG, "%s: 'id' (at most 63 characters) and 'name' are required",
				path.ptr);
		goto fail;
	}
	if ((rc = load_retrieval(b, root, path.ptr, err)))
		goto fail;
	if ((rc = load_languages(b, root, path.ptr, err)))
		goto fail;
	if ((rc = load_model_section(root, "llm", path.ptr, &b->llm, &b->has_llm, err)) ||
	    (rc = load_model_section(root, "embeddings", path.ptr, &b->embeddings,
				     &b->has_embeddings, err)) ||
	    (rc = check_llm_messages(b, err)) || (rc = check_flow_messages(b, err)) ||
	    (rc = load_channels(b, root, path.ptr, err)) || (rc = check_channel_messages(b, err)) ||
	    (rc = load_handoff(b, root, path.ptr, err)))
		goto fail;
	json_decref(root);
	buf_release(&path);
	*out = b;
	return 0;
fail:
	json_decref(root);
	buf_release(&path);
	bot_free(b);
	return rc;
}

void bot_free(struct bot *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_catalogs; i++)
		catalog_release(&b->catalogs[i]);
	free(b->dir);
	free(b->id);
	free(b->name);
	free(b->default_lang);
	free(b->contact_phone);
	free(b->contact_url);
	free(b->contact_hours);
	free(b->synonyms_path);
	llm_config_release(&b->llm);
	llm_config_release(&b->embeddings);
	for (char **o = b->origins; o && *o; o++)
		free(*o);
	free(b->origins);
	json_decref(b->channels);
	handoff_config_free(b->handoff);
	free(b);
}

const struct handoff_config *bot_handoff(const struct bot *b)
{
	return b->handoff;
}

const char *const *bot_allowed_origins(const struct bot *b)
{
	return (const char *const *)b->origins;
}

const json_t *bot_channel(const struct bot *b, const char *name)
{
	return json_object_get(b->channels, name);
}

const struct llm_config *bot_llm(const struct bot *b) { return b->has_llm ? &b->llm : NULL; }
const struct llm_config *bot_embeddings(const struct bot *b)
{
	return b->has_embeddings ? &b->embeddings : NULL;
}

const char *bot_dir(const struct bot *b) { return b->dir; }
const char *bot_id(const struct bot *b) { return b->id; }
const char *bot_name(const struct bot *b) { return b->name; }
const char *bot_default_lang(const struct bot *b) { return b->default_lang; }
const char *bot_synonyms_path(const struct bot *b) { return b->synonyms_path; }
double bot_answer_threshold(const struct bot *b) { return b->answer_threshold; }
double bot_suggest_threshold(const struct bot *b) { return b->suggest_threshold; }
size_t bot_snippet_chars(const struct bot *b) { return b->snippet_chars; }

static const struct catalog *find_catalog(const struct bot *b, const char *lang)
{
	for (size_t i = 0; lang && i < b->n_catalogs; i++) {
		if (!strcmp(b->catalogs[i].lang, lang))
			return &b->catalogs[i];
	}
	return NULL;
}

size_t bot_languages(const struct bot *b, const char **langs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_catalogs && n < max; i++)
		langs[n++] = b->catalogs[i].lang;
	return n;
}

int bot_has_lang(const struct bot *b, const char *lang)
{
	return find_catalog(b, lang) != NULL;
}

static const char *placeholder(const struct bot *b, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} table[] = {
		{"bot_name", offsetof(struct bot, name)},
		{"contact_phone", offsetof(struct bot, contact_phone)},
		{"contact_url", offsetof(struct bot, contact_url)},
		{"contact_hours", offsetof(struct bot, contact_hours)},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strlen(table[i].name) == n && !strncmp(table[i].name, name, n))
			return *(char *const *)((const char *)b + table[i].off);
	}
	return NULL;
}

/* The value of placeholder name[0..n): from vars (name, value pairs), else
 * the bot's own; NULL when neither knows it. */
static const char *fill(const struct bot *b, const char *const *vars, const char *name, size_t n)
{
	for (const char *const *v = vars; v && v[0]; v += 2)
		if (strlen(v[0]) == n && !strncmp(v[0], name, n))
			return v[1] ? v[1] : "";
	return placeholder(b, name, n);
}

/* The catalogue text of key in lang, else in the default language; NULL. */
static const char *message_text(const struct bot *b, const char *lang, const char *key)
{
	const struct catalog *c = find_catalog(b, lang);
	const char *s = NULL;

	if (c)
		s = json_string_value(json_object_get(c->messages, key));
	if (!s && (c = find_catalog(b, b->default_lang)))
		s = json_string_value(json_object_get(c->messages, key));
	return s;
}

int bot_message_vars(const struct bot *b, const char *lang, const char *key,
		     const char *const *vars, struct buf *out)
{
	const char *s = message_text(b, lang, key), *p;
	int rc = 0;

	if (!s)
		return buf_adds(out, key);
	while (*s && !rc) {
		const char *close, *val;

		p = strchr(s, '{');
		if (!p)
			return buf_adds(out, s);
		rc = buf_add(out, s, (size_t)(p - s));
		close = strchr(p, '}');
		val = close ? fill(b, vars, p + 1, (size_t)(close - p - 1)) : NULL;
		if (val) {
			rc = rc ? rc : buf_adds(out, val);
			s = close + 1;
		} else {
			rc = rc ? rc : buf_addc(out, '{');
			s = p + 1;
		}
	}
	return rc;
}

int bot_message(const struct bot *b, const char *lang, const char *key, struct buf *out)
{
	return bot_message_vars(b, lang, key, NULL, out);
}

int bot_message_item(const struct bot *b, const char *lang, const char *key, size_t i,
		     struct buf *out)
{
	const char *s = message_text(b, lang, key);
	size_t n;

	for (; s && i > 0; i--) {
		s = strchr(s, ',');
		if (s)
			s++;
	}
	if (!s)
		return 0;
	s += strspn(s, " ");
	n = strcspn(s, ",");
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (!n)
		return 0;
	buf_add(out, s, n);
	return 1;
}

static int phrase_prefix(const char *text, const char *phrase, const char **rest)
{
	size_t n = strlen(phrase);

	if (strncmp(text, phrase, n) || (text[n] && text[n] != ' '))
		return 0;
	*rest = text[n] ? text + n + 1 : text + n;
	return 1;
}

/* Exact phrase, or a greeting followed by a question. */
static enum bot_intent match_catalog(const struct catalog *c, const char *norm, struct buf *rest)
{
	for (int i = 1; i < BOT_INTENT_COUNT; i++) {
		for (char **p = c->phrases[i]; *p; p++) {
			if (!strcmp(norm, *p))
				return (enum bot_intent)i;
		}
	}
	for (char **p = c->phrases[BOT_INTENT_GREETING]; *p; p++) {
		const char *r;

		if (phrase_prefix(norm, *p, &r) && *r) {
			buf_adds(rest, r);
			return BOT_INTENT_GREETING;
		}
	}
	return BOT_INTENT_NONE;
}

enum bot_intent bot_intent_match(const struct bot *b, const char *lang, const char *text,
				 struct buf *rest)
{
	const struct catalog *mine = find_catalog(b, lang);
	enum bot_intent found = BOT_INTENT_NONE;
	char *norm;

	if (strlen(text) > 4 * PHRASE_MAX)
		return BOT_INTENT_NONE;
	norm = normalise_phrase(text);
	/* The conversation's language first, then the bot's other languages. */
	if (mine)
		found = match_catalog(mine, norm, rest);
	for (size_t i = 0; i < b->n_catalogs && !found; i++) {
		if (&b->catalogs[i] != mine)
			found = match_catalog(&b->catalogs[i], norm, rest);
	}
	free(norm);
	return found;
}
