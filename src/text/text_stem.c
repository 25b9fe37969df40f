/* text_stem.c - Snowball Dutch plus our inflection rules (see text_stem.h):
 * an irregular-verb table consulted before Snowball, and key normalisation
 * (-t/-d, vowel doubling, final consonants) after it. */
#include "text/text_stem.h"

#include "core/mem.h"
#include "text/text_token.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

struct text_stemmer {
	struct sb_stemmer *sb;
};

struct text_stem_irregular {
	const char *form;
	const char *infinitive;
};

/* Strong and irregular verb forms -> infinitive, sorted by form. Forms that
 * are also common nouns or adjectives ("vroeg", "weken", "namen", "staat")
 * are left out: a wrong match costs more than a missed one. */
static const struct text_stem_irregular text_stem_irregulars[] = {
	{ "at", "eten" },
	{ "aten", "eten" },
	{ "begon", "beginnen" },
	{ "begonnen", "beginnen" },
	{ "begreep", "begrijpen" },
	{ "begrepen", "begrijpen" },
	{ "ben", "zijn" },
	{ "bent", "zijn" },
	{ "beval", "bevelen" },
	{ "bevalen", "bevelen" },
	{ "bevolen", "bevelen" },
	{ "bewees", "bewijzen" },
	{ "bewezen", "bewijzen" },
	{ "bleef", "blijven" },
	{ "bleek", "blijken" },
	{ "bleken", "blijken" },
	{ "bleven", "blijven" },
	{ "boden", "bieden" },
	{ "bond", "binden" },
	{ "bonden", "binden" },
	{ "bood", "bieden" },
	{ "bracht", "brengen" },
	{ "brachten", "brengen" },
	{ "brak", "breken" },
	{ "braken", "breken" },
	{ "dacht", "denken" },
	{ "dachten", "denken" },
	{ "deden", "doen" },
	{ "deed", "doen" },
	{ "doet", "doen" },
	{ "doken", "duiken" },
	{ "dook", "duiken" },
	{ "droeg", "dragen" },
	{ "droegen", "dragen" },
	{ "dronk", "drinken" },
	{ "dronken", "drinken" },
	{ "dwong", "dwingen" },
	{ "dwongen", "dwingen" },
	{ "floot", "fluiten" },
	{ "floten", "fluiten" },
	{ "ga", "gaan" },
	{ "gaat", "gaan" },
	{ "gaf", "geven" },
	{ "gebeden", "bidden" },
	{ "gebleken", "blijken" },
	{ "gebleven", "blijven" },
	{ "geboden", "bieden" },
	{ "gebonden", "binden" },
	{ "gebracht", "brengen" },
	{ "gebroken", "breken" },
	{ "gedaan", "doen" },
	{ "gedacht", "denken" },
	{ "gedoken", "duiken" },
	{ "gedragen", "dragen" },
	{ "gedronken", "drinken" },
	{ "gedwongen", "dwingen" },
	{ "gefloten", "fluiten" },
	{ "gegaan", "gaan" },
	{ "gegeten", "eten" },
	{ "gegeven", "geven" },
	{ "gegleden", "glijden" },
	{ "gegolden", "gelden" },
	{ "gegrepen", "grijpen" },
	{ "gehad", "hebben" },
	{ "gehangen", "hangen" },
	{ "geholpen", "helpen" },
	{ "gehouden", "houden" },
	{ "gekeken", "kijken" },
	{ "gekocht", "kopen" },
	{ "gekomen", "komen" },
	{ "gekozen", "kiezen" },
	{ "gekregen", "krijgen" },
	{ "gekropen", "kruipen" },
	{ "gekund", "kunnen" },
	{ "gelaten", "laten" },
	{ "gelegen", "liggen" },
	{ "geleken", "lijken" },
	{ "gelezen", "lezen" },
	{ "gelogen", "liegen" },
	{ "gelopen", "lopen" },
	{ "gemeten", "meten" },
	{ "gemoeten", "moeten" },
	{ "gemogen", "mogen" },
	{ "genomen", "nemen" },
	{ "genoot", "genieten" },
	{ "gereden", "rijden" },
	{ "geroepen", "roepen" },
	{ "gescheiden", "scheiden" },
	{ "geschenen", "schijnen" },
	{ "geschonken", "schenken" },
	{ "geschoten", "schieten" },
	{ "geschoven", "schuiven" },
	{ "geschreven", "schrijven" },
	{ "geslagen", "slaan" },
	{ "geslapen", "slapen" },
	{ "geslopen", "sluipen" },
	{ "gesloten", "sluiten" },
	{ "gesneden", "snijden" },
	{ "gesproken", "spreken" },
	{ "gesprongen", "springen" },
	{ "gestaan", "staan" },
	{ "gestegen", "stijgen" },
	{ "gestolen", "stelen" },
	{ "gestorven", "sterven" },
	{ "gestreden", "strijden" },
	{ "getreden", "treden" },
	{ "getroffen", "treffen" },
	{ "getrokken", "trekken" },
	{ "gevallen", "vallen" },
	{ "gevangen", "vangen" },
	{ "gevaren", "varen" },
	{ "gevlogen", "vliegen" },
	{ "gevochten", "vechten" },
	{ "gevonden", "vinden" },
	{ "geweest", "zijn" },
	{ "geweten", "weten" },
	{ "gewezen", "wijzen" },
	{ "gewild", "willen" },
	{ "gewogen", "wegen" },
	{ "gewonnen", "winnen" },
	{ "geworden", "worden" },
	{ "geworpen", "werpen" },
	{ "geworven", "werven" },
	{ "gezeten", "zitten" },
	{ "gezien", "zien" },
	{ "gezocht", "zoeken" },
	{ "gezogen", "zuigen" },
	{ "gezonden", "zenden" },
	{ "gezongen", "zingen" },
	{ "gezwegen", "zwijgen" },
	{ "ging", "gaan" },
	{ "gingen", "gaan" },
	{ "gleden", "glijden" },
	{ "gleed", "glijden" },
	{ "gold", "gelden" },
	{ "golden", "gelden" },
	{ "greep", "grijpen" },
	{ "grepen", "grijpen" },
	{ "had", "hebben" },
	{ "hadden", "hebben" },
	{ "heeft", "hebben" },
	{ "hield", "houden" },
	{ "hielden", "houden" },
	{ "hielp", "helpen" },
	{ "hielpen", "helpen" },
	{ "hing", "hangen" },
	{ "hingen", "hangen" },
	{ "is", "zijn" },
	{ "kan", "kunnen" },
	{ "keek", "kijken" },
	{ "keken", "kijken" },
	{ "kocht", "kopen" },
	{ "kochten", "kopen" },
	{ "kon", "kunnen" },
	{ "konden", "kunnen" },
	{ "koos", "kiezen" },
	{ "kozen", "kiezen" },
	{ "kreeg", "krijgen" },
	{ "kregen", "krijgen" },
	{ "kroop", "kruipen" },
	{ "kropen", "kruipen" },
	{ "kun", "kunnen" },
	{ "kunt", "kunnen" },
	{ "kwam", "komen" },
	{ "kwamen", "komen" },
	{ "lag", "liggen" },
	{ "las", "lezen" },
	{ "lazen", "lezen" },
	{ "leek", "lijken" },
	{ "leken", "lijken" },
	{ "liep", "lopen" },
	{ "liepen", "lopen" },
	{ "liet", "laten" },
	{ "lieten", "laten" },
	{ "logen", "liegen" },
	{ "loog", "liegen" },
	{ "mag", "mogen" },
	{ "mat", "meten" },
	{ "mocht", "mogen" },
	{ "mochten", "mogen" },
	{ "moest", "moeten" },
	{ "moesten", "moeten" },
	{ "moet", "moeten" },
	{ "nam", "nemen" },
	{ "reed", "rijden" },
	{ "riep", "roepen" },
	{ "riepen", "roepen" },
	{ "scheen", "schijnen" },
	{ "schenen", "schijnen" },
	{ "schonk", "schenken" },
	{ "schonken", "schenken" },
	{ "schoof", "schuiven" },
	{ "schoot", "schieten" },
	{ "schoten", "schieten" },
	{ "schoven", "schuiven" },
	{ "schreef", "schrijven" },
	{ "schreven", "schrijven" },
	{ "sla", "slaan" },
	{ "slaat", "slaan" },
	{ "sliep", "slapen" },
	{ "sliepen", "slapen" },
	{ "sloeg", "slaan" },
	{ "sloegen", "slaan" },
	{ "sloop", "sluipen" },
	{ "sloot", "sluiten" },
	{ "slopen", "sluipen" },
	{ "sneden", "snijden" },
	{ "sneed", "snijden" },
	{ "sprak", "spreken" },
	{ "spraken", "spreken" },
	{ "sprong", "springen" },
	{ "sprongen", "springen" },
	{ "sta", "staan" },
	{ "stal", "stelen" },
	{ "steeg", "stijgen" },
	{ "stegen", "stijgen" },
	{ "stierf", "sterven" },
	{ "stierven", "sterven" },
	{ "stond", "staan" },
	{ "stonden", "staan" },
	{ "streden", "strijden" },
	{ "streed", "strijden" },
	{ "trad", "treden" },
	{ "traden", "treden" },
	{ "trof", "treffen" },
	{ "troffen", "treffen" },
	{ "trok", "trekken" },
	{ "trokken", "trekken" },
	{ "verboden", "verbieden" },
	{ "verbood", "verbieden" },
	{ "verdween", "verdwijnen" },
	{ "verdwenen", "verdwijnen" },
	{ "vergat", "vergeten" },
	{ "vergaten", "vergeten" },
	{ "verloor", "verliezen" },
	{ "verloren", "verliezen" },
	{ "viel", "vallen" },
	{ "vielen", "vallen" },
	{ "ving", "vangen" },
	{ "vingen", "vangen" },
	{ "vlogen", "vliegen" },
	{ "vloog", "vliegen" },
	{ "vochten", "vechten" },
	{ "vond", "vinden" },
	{ "vonden", "vinden" },
	{ "vroegen", "vragen" },
	{ "waren", "zijn" },
	{ "was", "zijn" },
	{ "weet", "weten" },
	{ "werd", "worden" },
	{ "werden", "worden" },
	{ "wierf", "werven" },
	{ "wierp", "werpen" },
	{ "wierpen", "werpen" },
	{ "wierven", "werven" },
	{ "wil", "willen" },
	{ "wilde", "willen" },
	{ "wilden", "willen" },
	{ "wilt", "willen" },
	{ "wist", "weten" },
	{ "wisten", "weten" },
	{ "wogen", "wegen" },
	{ "won", "winnen" },
	{ "wonnen", "winnen" },
	{ "woog", "wegen" },
	{ "word", "worden" },
	{ "wordt", "worden" },
	{ "wou", "willen" },
	{ "zag", "zien" },
	{ "zagen", "zien" },
	{ "zal", "zullen" },
	{ "zat", "zitten" },
	{ "zaten", "zitten" },
	{ "zei", "zeggen" },
	{ "zeiden", "zeggen" },
	{ "zie", "zien" },
	{ "ziet", "zien" },
	{ "zocht", "zoeken" },
	{ "zochten", "zoeken" },
	{ "zogen", "zuigen" },
	{ "zong", "zingen" },
	{ "zongen", "zingen" },
	{ "zoog", "zuigen" },
	{ "zou", "zullen" },
	{ "zouden", "zullen" },
	{ "zult", "zullen" },
	{ "zweeg", "zwijgen" },
	{ "zwegen", "zwijgen" },
};

/* Verb prefixes, longest first. Only separable ones ("aan", "op") come
 * before the "ge" of a participle ("aangevraagd"); inseparable ones ("ver",
 * "be") take none ("verkocht"). */
struct text_stem_prefix {
	const char *s;
	int separable;
};

static const struct text_stem_prefix text_stem_prefixes[] = {
	{ "achter", 1 }, { "binnen", 1 }, { "terug", 1 }, { "samen", 1 }, { "tegen", 1 },
	{ "thuis", 1 },  { "langs", 1 },  { "onder", 1 }, { "door", 1 },  { "over", 1 },
	{ "voor", 1 },   { "vast", 1 },   { "neer", 1 },  { "aan", 1 },   { "bij", 1 },
	{ "mee", 1 },    { "uit", 1 },    { "toe", 1 },   { "weg", 1 },   { "los", 1 },
	{ "ont", 0 },    { "her", 0 },    { "ver", 0 },   { "mis", 0 },   { "af", 1 },
	{ "in", 1 },     { "na", 1 },     { "om", 1 },    { "op", 1 },    { "be", 0 },
	{ "er", 0 },
};

#define TEXT_STEM_NPREFIX (sizeof(text_stem_prefixes) / sizeof(text_stem_prefixes[0]))

struct text_stem_key {
	const char *s;
	size_t len;
};

static int text_stem_irregular_cmp(const void *k, const void *e)
{
	const struct text_stem_key *key = k;
	const char *form = ((const struct text_stem_irregular *)e)->form;
	size_t flen = strlen(form);
	int c = memcmp(key->s, form, key->len < flen ? key->len : flen);

	if (c)
		return c;
	return key->len < flen ? -1 : key->len > flen;
}

static const char *text_stem_irregular_find(const char *w, size_t len)
{
	struct text_stem_key key = { w, len };
	const struct text_stem_irregular *hit;

	hit = bsearch(&key, text_stem_irregulars,
		      sizeof(text_stem_irregulars) / sizeof(text_stem_irregulars[0]),
		      sizeof(text_stem_irregulars[0]), text_stem_irregular_cmp);
	return hit ? hit->infinitive : NULL;
}

struct text_stemmer *text_stemmer_new(void)
{
	struct text_stemmer *st;
	struct sb_stemmer *sb = sb_stemmer_new("dutch", NULL);

	if (!sb)
		return NULL;
	st = xcalloc(1, sizeof(*st));
	st->sb = sb;
	return st;
}

void text_stemmer_free(struct text_stemmer *st)
{
	if (!st)
		return;
	sb_stemmer_delete(st->sb);
	free(st);
}

static int text_stem_is_vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

static size_t text_stem_copy(const char *s, size_t len, char *out)
{
	if (len >= TEXT_STEM_MAX)
		len = TEXT_STEM_MAX - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	return len;
}

size_t text_stem_normalise(const char *stem, size_t len, char *out)
{
	char tmp[TEXT_STEM_MAX];
	size_t n = text_stem_copy(stem, len, tmp), o = 0;

	/* Present tense, past tense and participles end in -t/-d (-dt). */
	while (n > 3 && (tmp[n - 1] == 't' || tmp[n - 1] == 'd'))
		n--;
	/* Open and closed syllables: "verkoop" / "verkopen" -> "verkop". */
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && tmp[i] == tmp[i + 1] && tmp[i] != 'i' && text_stem_is_vowel(tmp[i]))
			continue;
		out[o++] = tmp[i];
	}
	/* Consonant doubled after a short vowel: "invull" -> "invul". */
	if (o > 3 && out[o - 1] == out[o - 2] && !text_stem_is_vowel(out[o - 1]))
		o--;
	/* Final devoicing: "reiz" / "reis", "gev" / "geef". */
	if (o > 2 && out[o - 1] == 'z')
		out[o - 1] = 's';
	else if (o > 2 && out[o - 1] == 'v')
		out[o - 1] = 'f';
	out[o] = '\0';
	return o;
}

static int text_stem_is_number(const char *w, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			return 0;
	}
	return 1;
}

/* Maps an irregular form, bare or behind a verb prefix, to its infinitive
 * (with the prefix) in buf. Returns the new length, or 0 if not irregular. */
static size_t text_stem_irregular(const char *w, size_t len, char *buf)
{
	const char *inf = text_stem_irregular_find(w, len);

	if (inf)
		return text_stem_copy(inf, strlen(inf), buf);
	for (size_t i = 0; i < TEXT_STEM_NPREFIX; i++) {
		size_t plen = strlen(text_stem_prefixes[i].s), ilen;

		if (len < plen + 3 || memcmp(w, text_stem_prefixes[i].s, plen))
			continue;
		/* Past plurals behind a prefix are mostly noun plurals:
		 * "afspraken" is not "af" + "spraken". */
		if (w[len - 2] == 'e' && w[len - 1] == 'n' && memcmp(w + plen, "ge", 2))
			continue;
		inf = text_stem_irregular_find(w + plen, len - plen);
		if (!inf)
			continue;
		ilen = strlen(inf);
		if (plen + ilen >= TEXT_STEM_MAX)
			return 0;
		memcpy(buf, w, plen);
		memcpy(buf + plen, inf, ilen);
		buf[plen + ilen] = '\0';
		return plen + ilen;
	}
	return 0;
}

static size_t text_stem_snowball(struct text_stemmer *st, const char *w, size_t len, char *out)
{
	const sb_symbol *s = sb_stemmer_stem(st->sb, (const sb_symbol *)w, (int)len);

	if (!s)
		return text_stem_copy(w, len, out);
	return text_stem_copy((const char *)s, (size_t)sb_stemmer_length(st->sb), out);
}

size_t text_stem(struct text_stemmer *st, const char *w, size_t len, char *out)
{
	char word[TEXT_STEM_MAX], snow[TEXT_STEM_MAX];
	size_t n;

	if (len >= TEXT_STEM_MAX)
		len = TEXT_STEM_MAX - 1;
	if (len < 3 || text_stem_is_number(w, len))
		return text_stem_copy(w, len, out);
	n = text_stem_irregular(w, len, word);
	if (!n)
		n = text_stem_copy(w, len, word);
	n = text_stem_snowball(st, word, n, snow);
	return text_stem_normalise(snow, n, out);
}

size_t text_stem_participle(struct text_stemmer *st, const char *w, size_t len, char *out)
{
	char word[TEXT_STEM_MAX];
	size_t plen = 0;

	if (len >= TEXT_STEM_MAX || len < 6 || (w[len - 1] != 't' && w[len - 1] != 'd'))
		return 0;
	if (memcmp(w, "ge", 2)) {
		for (size_t i = 0; i < TEXT_STEM_NPREFIX && !plen; i++) {
			size_t p = strlen(text_stem_prefixes[i].s);

			if (text_stem_prefixes[i].separable && len > p + 2 &&
			    !memcmp(w, text_stem_prefixes[i].s, p) &&
			    !memcmp(w + p, "ge", 2))
				plen = p;
		}
		if (!plen)
			return 0;
	}
	/* At least three letters after "ge". */
	if (len - plen - 2 < 3)
		return 0;
	memcpy(word, w, plen);
	memcpy(word + plen, w + plen + 2, len - plen - 2);
	return text_stem(st, word, len - 2, out);
}
