/* builtin_meldingen.c - melding openbare ruimte: suggesting a Signalen
 * sub-category for a complaint, finding open reports of that category close
 * by (so people can add to one rather than report it twice) and storing a
 * report. Stands in for Signalen's public API.
 *
 * Suggestion: the text and every active sub-category are reduced to folded,
 * stemmed words (the same text_* functions the knowledge base uses). A
 * category scores by the words it shares with the text: its own name and
 * slug (a word common to many category names counts for less) and, weighing
 * more, the keywords written for it in melding-keywords.json (a phrase counts
 * only when all its words occur; a keyword inside a longer compound word,
 * "tegel" in "stoeptegels", counts half).
 */
#include "integrations/integ_int.h"

#include "core/buf.h"
#include "core/mem.h"
#include "text/text_norm.h"
#include "text/text_stem.h"
#include "text/text_stopwords.h"
#include "text/text_token.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MELD_TOP 3
#define MELD_RADIUS_M 50.0
#define MELD_NEARBY_MAX 5
#define MELD_EARTH_M 6371008.8
#define MELD_CREATE_TRIES 5

#define W_NAME 1.0     /* a word of the category's name, divided by its spread */
#define W_KEYWORD 2.0  /* a keyword */
#define W_PHRASE 3.0   /* a keyword phrase of several words */
#define W_COMPOUND 1.0 /* a keyword inside a longer word of the text */
#define MIN_SCORE 0.3  /* below this a category is not suggested */

/* A set of words (stems or folded words), each owned. */
struct meld_words {
	char **v;
	size_t n;
	size_t alloc;
};

static void meld_words_release(struct meld_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	memset(w, 0, sizeof(*w));
}

static bool meld_words_has(const struct meld_words *w, const char *s)
{
	for (size_t i = 0; i < w->n; i++) {
		if (!strcmp(w->v[i], s))
			return true;
	}
	return false;
}

static void meld_words_add(struct meld_words *w, const char *s)
{
	if (!*s || meld_words_has(w, s))
		return;
	if (w->n == w->alloc) {
		w->alloc = w->alloc ? w->alloc * 2 : 16;
		w->v = xreallocarray(w->v, w->alloc, sizeof(*w->v));
	}
	w->v[w->n++] = xstrdup(s);
}

struct meld_tok_ctx {
	struct text_stemmer *stemmer;
	struct meld_words *stems;
	struct meld_words *folded; /* may be NULL */
};

static void meld_tok(void *ctx, const struct text_token *tok)
{
	struct meld_tok_ctx *t = ctx;
	char key[TEXT_STEM_MAX], word[TEXT_TOKEN_MAX + 1];

	if ((tok->flags & TEXT_TOKEN_NUMBER) || text_stopword_is(tok->s, tok->len))
		return;
	memcpy(word, tok->s, tok->len);
	word[tok->len] = '\0';
	if (t->folded)
		meld_words_add(t->folded, word);
	if (t->stemmer && text_stem(t->stemmer, tok->s, tok->len, key))
		meld_words_add(t->stems, key);
	else
		meld_words_add(t->stems, word);
}

/* Adds the stems (and folded words) of text[0..len) to the sets. */
static void meld_analyse(struct text_stemmer *stemmer, const char *text, size_t len,
			 struct meld_words *stems, struct meld_words *folded)
{
	struct meld_tok_ctx t = {stemmer, stems, folded};
	struct buf f;

	buf_init(&f, (size_t)INTEG_TEXT_MAX * 8);
	(void)text_norm_fold(text, len, &f);
	text_token_each(f.ptr, f.len, meld_tok, &t);
	buf_release(&f);
}

/* One sub-category being scored. */
struct meld_cat {
	json_t *v;             /* borrowed from the list */
	struct meld_words name; /* stems of name and slug */
	double score;
	size_t ord;
};

static int meld_cmp(const void *a, const void *b)
{
	const struct meld_cat *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* How much one keyword of a category adds for the text. */
static double meld_keyword(struct text_stemmer *stemmer, const char *kw,
			   const struct meld_words *text_stems, const struct meld_words *text_words)
{
	struct meld_words stems = {0}, words = {0};
	double w = 0;
	bool all = true;

	meld_analyse(stemmer, kw, strlen(kw), &stems, &words);
	for (size_t i = 0; i < stems.n; i++)
		all = all && meld_words_has(text_stems, stems.v[i]);
	if (stems.n && all) {
		w = stems.n > 1 ? W_PHRASE : W_KEYWORD;
	} else if (words.n == 1 && strlen(words.v[0]) >= 4) {
		/* "tegel" in "stoeptegels", "lantaarnpaal" in "straatlantaarnpaal". */
		for (size_t i = 0; i < text_words->n && !w; i++) {
			if (strlen(text_words->v[i]) > strlen(words.v[0]) &&
			    strstr(text_words->v[i], words.v[0]))
				w = W_COMPOUND;
		}
	}
	meld_words_release(&stems);
	meld_words_release(&words);
	return w;
}

int integ_meld_suggest(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	struct meld_words text_stems = {0}, text_words = {0};
	struct text_stemmer *stemmer = NULL;
	struct meld_cat *cats = NULL;
	json_t *all = NULL, *opts, *v;
	char *text = NULL;
	size_t n = 0, i;
	int rc;

	rc = integ_arg_text(args, "text", true, 1, INTEG_TEXT_MAX, true, &text, err);
	if (!rc)
		rc = integ_data_list(c, INTEG_KIND_CATEGORY, &all, err);
	if (rc)
		goto out;
	stemmer = text_stemmer_new();
	meld_analyse(stemmer, text, strlen(text), &text_stems, &text_words);
	cats = xcalloc(json_array_size(all) + 1, sizeof(*cats));
	json_array_foreach(all, i, v) {
		struct meld_cat *k = &cats[n];
		const char *name = integ_str(v, "name"), *slug = integ_str(v, "id");
		struct buf slug_words;

		buf_init(&slug_words, 1024);
		for (const char *p = slug; *p; p++)
			buf_addc(&slug_words, *p == '-' ? ' ' : *p);
		k->v = v;
		k->ord = n;
		meld_analyse(stemmer, name, strlen(name), &k->name, NULL);
		meld_analyse(stemmer, slug_words.ptr, slug_words.len, &k->name, NULL);
		buf_release(&slug_words);
		n++;
	}
	for (i = 0; i < n; i++) {
		struct meld_cat *k = &cats[i];
		json_t *kws = json_object_get(k->v, "keywords"), *kw;
		size_t j;

		for (size_t w = 0; w < k->name.n; w++) {
			size_t spread = 0;

			if (!meld_words_has(&text_stems, k->name.v[w]))
				continue;
			for (size_t o = 0; o < n; o++)
				spread += meld_words_has(&cats[o].name, k->name.v[w]);
			k->score += W_NAME / (double)(spread ? spread : 1);
		}
		json_array_foreach(kws, j, kw) {
			if (json_is_string(kw))
				k->score += meld_keyword(stemmer, json_string_value(kw),
							 &text_stems, &text_words);
		}
	}
	qsort(cats, n, sizeof(*cats), meld_cmp);
	opts = json_array();
	for (i = 0; i < n && json_array_size(opts) < MELD_TOP; i++) {
		if (cats[i].score < MIN_SCORE)
			break;
		json_array_append_new(opts, json_pack("{s:s, s:s, s:s, s:s, s:f}", "value",
						      integ_str(cats[i].v, "id"), "label",
						      integ_str(cats[i].v, "name"), "main",
						      integ_str(cats[i].v, "main"), "main_label",
						      integ_str(cats[i].v, "main_name"), "score",
						      round(cats[i].score * 100) / 100));
	}
	*out = json_pack("{s:o}", "options", opts);
out:
	for (i = 0; i < n; i++)
		meld_words_release(&cats[i].name);
	free(cats);
	meld_words_release(&text_stems);
	meld_words_release(&text_words);
	text_stemmer_free(stemmer);
	json_decref(all);
	free(text);
	return rc;
}

/* Great-circle distance in metres (haversine). */
static double meld_distance(double lat1, double lon1, double lat2, double lon2)
{
	double rad = M_PI / 180, dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * MELD_EARTH_M * asin(fmin(1.0, sqrt(a)));
}

static int meld_arg_pos(json_t *args, double *lat, double *lon, struct lk_err *err)
{
	int rc = integ_arg_real(args, "lat", -89.9, 89.9, lat, err);

	if (!rc)
		rc = integ_arg_real(args, "lon", -180.0, 180.0, lon, err);
	return rc;
}

static int meld_arg_category(const struct integ_ctx *c, json_t *args, char *slug, json_t **cat,
			     struct lk_err *err)
{
	int rc = integ_arg_word(args, "category", true, slug, INTEG_WORD_MAX, NULL, err);

	if (!rc)
		rc = integ_data_get(c, INTEG_KIND_CATEGORY, slug, cat, err);
	if (rc == LK_ENOTFOUND)
		rc = integ_refuse(err, "invalid", "unknown category '%s'", slug);
	return rc;
}

int integ_meld_nearby(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	char slug[INTEG_WORD_MAX];
	struct store_records recs = {0};
	json_t *cat = NULL, *reports;
	double lat, lon, dlat, dlon;
	int rc;

	rc = meld_arg_category(c, args, slug, &cat, err);
	if (!rc)
		rc = meld_arg_pos(args, &lat, &lon, err);
	if (rc)
		goto out;
	/* A box a little larger than the circle; the distance decides. */
	dlat = MELD_RADIUS_M * 1.01 / (MELD_EARTH_M * M_PI / 180);
	dlon = dlat / cos(lat * M_PI / 180);
	rc = store_records_in_box(c->st, c->bot, "melding", slug, "open", lat - dlat, lat + dlat,
				  lon - dlon, lon + dlon, 200, &recs, err);
	if (rc)
		goto out;
	reports = json_array();
	for (size_t i = 0; i < recs.n && json_array_size(reports) < MELD_NEARBY_MAX; i++) {
		double d = meld_distance(lat, lon, recs.v[i].lat, recs.v[i].lon);
		char when[32];

		if (!recs.v[i].has_pos || d > MELD_RADIUS_M)
			continue;
		integ_time_format(c, recs.v[i].created_at, when);
		json_array_append_new(reports,
				      json_pack("{s:s, s:s, s:s, s:s, s:I}", "reference",
						recs.v[i].ref, "category", integ_str(cat, "name"),
						"category_id", slug, "created", when, "distance_m",
						(json_int_t)lround(d)));
	}
	*out = json_pack("{s:o}", "reports", reports);
out:
	store_records_release(&recs);
	json_decref(cat);
	return rc;
}

/* Loose phone check: 6 to 20 digits, with spaces, dashes, brackets or a
 * leading plus. */
static bool meld_phone_ok(const char *s)
{
	size_t digits = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (!(s[i] == ' ' || s[i] == '-' || s[i] == '(' || s[i] == ')' ||
			   (s[i] == '+' && i == 0)))
			return false;
	}
	return digits >= 6 && digits <= 20;
}

int integ_meld_create(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	char slug[INTEG_WORD_MAX], photo[INTEG_WORD_MAX];
	char *desc = NULL, *address = NULL, *email = NULL, *phone = NULL, *data = NULL;
	struct store_attachment att;
	struct store_record r;
	json_t *cat = NULL, *doc;
	bool anonymous = false;
	double lat, lon;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = integ_arg_text(args, "description", true, INTEG_DESC_MIN, INTEG_DESC_MAX, true, &desc,
			    err);
	if (!rc)
		rc = meld_arg_category(c, args, slug, &cat, err);
	if (!rc)
		rc = meld_arg_pos(args, &lat, &lon, err);
	if (!rc)
		rc = integ_arg_text(args, "address", false, 1, 200, false, &address, err);
	if (!rc)
		rc = integ_arg_word(args, "photo", false, photo, sizeof(photo), NULL, err);
	if (!rc)
		rc = integ_arg_bool(args, "anonymous", &anonymous, err);
	if (!rc)
		rc = integ_arg_text(args, "email", false, 5, INTEG_EMAIL_MAX, false, &email, err);
	if (!rc && email && !integ_email_ok(email))
		rc = integ_refuse(err, "invalid", "'email' is not an e-mail address");
	if (!rc)
		rc = integ_arg_text(args, "phone", false, 6, 30, false, &phone, err);
	if (!rc && phone && !meld_phone_ok(phone))
		rc = integ_refuse(err, "invalid", "'phone' is not a phone number");
	if (!rc && !strncmp(photo, "attachment:", 11)) /* how channels name an upload */
		memmove(photo, photo + 11, strlen(photo + 11) + 1);
	if (!rc && photo[0]) {
		rc = store_attachment_get(c->st, c->bot, photo, 0, &att, err);
		if (rc == LK_ENOTFOUND)
			rc = integ_refuse(err, "invalid", "unknown photo '%s'", photo);
	}
	if (rc)
		goto out;
	/* Anonymous means anonymous: contact details given anyway are dropped. */
	doc = json_pack("{s:s, s:s, s:s, s:s*, s:s*, s:s*, s:s*, s:b}", "description", desc,
			"category", slug, "main", integ_str(cat, "main"), "address", address,
			"photo", photo[0] ? photo : NULL, "email", anonymous ? NULL : email,
			"phone", anonymous ? NULL : phone, "anonymous", anonymous);
	data = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	snprintf(r.kind, sizeof(r.kind), "melding");
	snprintf(r.status, sizeof(r.status), "open");
	snprintf(r.key, sizeof(r.key), "%s", slug);
	r.has_pos = 1;
	r.lat = lat;
	r.lon = lon;
	r.data = data;
	r.created_at = c->now;
	for (int i = 0; i < MELD_CREATE_TRIES; i++) {
		integ_ref_new("ME", r.ref);
		rc = store_record_add(c->st, c->bot, &r, NULL, err);
		if (rc != LK_EBUSY)
			break;
	}
	if (!rc)
		*out = json_pack("{s:s, s:s, s:s}", "reference", r.ref, "category",
				 integ_str(cat, "name"), "status", "open");
out:
	json_decref(cat);
	free(desc);
	free(address);
	free(email);
	free(phone);
	free(data);
	return rc;
}
