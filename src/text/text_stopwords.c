/* text_stopwords.c - the stopword list: Dutch function words (after the
 * PostgreSQL/Snowball Dutch list, extended with question words and modal
 * verbs that carry no subject) and a small English list. Kept sorted for
 * binary search; entries are folded (lower case, no accents). */
#include "text/text_stopwords.h"

#include <stdlib.h>
#include <string.h>

static const char *const text_stopwords[] = {
	"a", "al", "alle", "alleen", "alles", "als", "altijd", "an", "and", "ander",
	"andere", "anders", "are", "as", "at", "be", "ben", "bent", "bij", "by", "can", "could",
	"daar", "daarom", "dan", "dat", "de", "deze", "die", "dit", "do", "doch", "doe", "doen",
	"does", "door", "dus", "een", "eens", "en", "er", "for", "from", "ge", "geen",
	"geweest", "haar", "had", "heb", "hebben", "heeft", "hem", "het", "hier", "hij", "hoe",
	"hoeveel", "how", "hun", "i", "iemand", "iets", "if", "ik", "in", "is", "it", "its",
	"ja", "je", "jij", "jou", "jouw", "jullie", "kan", "kon", "konden", "kun", "kunnen",
	"kunt", "maar", "mag", "me", "meer", "men", "met", "mij", "mijn", "mocht", "moet",
	"moeten", "mogen", "my", "na", "naar", "niet", "niets", "nog", "nu", "of", "om",
	"omdat", "on", "onder", "ons", "onze", "ook", "op", "or", "our", "over", "reeds",
	"should", "te", "tegen", "that", "the", "their", "there", "this", "to", "toch", "toen",
	"tot", "u", "uit", "uw", "van", "veel", "voor", "waar", "waarom", "wanneer", "want",
	"waren", "was", "wat", "we", "wel", "welk", "welke", "werd", "werden", "wezen", "what",
	"when", "where", "which", "who", "why", "wie", "wij", "wil", "will", "willen", "wilt",
	"with", "word", "worden", "wordt", "would", "you", "your", "zal", "ze", "zelf", "zich",
	"zij", "zijn", "zo", "zoals", "zonder", "zou", "zouden", "zullen",
};

struct text_stopword_key {
	const char *s;
	size_t len;
};

static int text_stopword_cmp(const void *k, const void *e)
{
	const struct text_stopword_key *key = k;
	const char *w = *(const char *const *)e;
	size_t wlen = strlen(w);
	int c = memcmp(key->s, w, key->len < wlen ? key->len : wlen);

	if (c)
		return c;
	return key->len < wlen ? -1 : key->len > wlen;
}

bool text_stopword_is(const char *w, size_t len)
{
	struct text_stopword_key key = { w, len };

	if (len == 0 || len > 8)
		return len == 0;
	return bsearch(&key, text_stopwords, sizeof(text_stopwords) / sizeof(text_stopwords[0]),
		       sizeof(text_stopwords[0]), text_stopword_cmp) != NULL;
}
