/* text_parse_answer.c - whole-message answers of a guided conversation:
 * yes/no, a choice among options and the stop/back/restart commands (see
 * text_parse.h). All three work on the message's folded words
 * (text_parse_words) and word tables; nothing here is stateful. */
#include "text/text_parse.h"
#include "text/text_parse_int.h"

#include "core/mem.h"
#include "text/text_stopwords.h"

#include <stdlib.h>
#include <string.h>

/* --- yes / no --- */

enum tp_yn {
	TP_YN_OTHER,
	TP_YN_STRONG_YES,
	TP_YN_STRONG_NO,
	TP_YN_WEAK_YES,
	TP_YN_WEAK_NO,
	TP_YN_NEG,      /* a negation: turns a weak yes near it into a no */
	TP_YN_FILL,     /* carries no meaning of its own */
	TP_YN_DOUBT,
	TP_YN_USED,     /* a negation already applied, or the rest of a phrase */
};

static const char *const tp_yn_strong_yes[] = {
	"ja", "jazeker", "jawel", "jaja", "jep", "jup", "jes", "yes", "yep", "yup", "yeah",
	"yea", "ya", "yess", NULL,
};
static const char *const tp_yn_strong_no[] = {
	"nee", "neen", "neej", "neeh", "no", "nope", "nah", "nay", NULL,
};
static const char *const tp_yn_weak_yes[] = {
	"klopt", "correct", "juist", "prima", "goed", "oke", "ok", "okay", "okey", "okee",
	"oki", "sure", "zeker", "akkoord", "precies", "inderdaad", "graag", "absoluut",
	"uiteraard", "natuurlijk", "right", "certainly", "definitely", "absolutely", "indeed",
	"exactly", "fine", "agreed", "alright", "allright", "top", "perfect", "affirmative",
	"wel", "good", "great", "accoord", "helder", NULL,
};
static const char *const tp_yn_weak_no[] = {
	"incorrect", "onjuist", "fout", "wrong", "false", "onwaar", "verkeerd", NULL,
};
static const char *const tp_yn_neg[] = {
	"niet", "not", "geen", "never", "nooit", "dont", "doesnt", "isnt", "didnt", "cant",
	"cannot", "aint", "niks", "nothing", NULL,
};
static const char *const tp_yn_doubt[] = {
	"misschien", "maybe", "perhaps", "wellicht", "mogelijk", "possibly", "unsure",
	"dunno", "twijfel", "idee", "weet", "know", "mwah", "hmm", NULL,
};
static const char *const tp_yn_fill[] = {
	"dat", "dit", "is", "het", "hoor", "maar", "dan", "toch", "zo", "helemaal", "heel",
	"echt", "ik", "denk", "u", "je", "jij", "mij", "me", "we", "wij", "it", "that",
	"thats", "its", "i", "think", "so", "of", "please", "thanks", "thank", "you", "dank",
	"bedankt", "alsjeblieft", "alstublieft", "aub", "allemaal", "alles", "ook", "nou", "eh",
	"uh", "uhm", "ehm", "euh", "oh", "well", "o", "was", "all", "very", "much", "thx",
	"en", "and", "the", "a", "een", "this", "are", "really", "zeer", "super", "liever",
	"klinkt", "sounds", "lijkt", "zou", "mooi", "fijn", "hartelijk", "wat", "mee",
	"eens", "van", "harte", "to", "be", "am", "do", "does", "did", NULL,
};

/* Two-word phrases: { first, second, meaning }. */
static const struct {
	const char *a, *b;
	enum tp_yn yn;
} tp_yn_phrases[] = {
	{ "geen", "probleem", TP_YN_WEAK_YES }, { "no", "problem", TP_YN_WEAK_YES },
	{ "no", "worries", TP_YN_WEAK_YES },    { "geen", "bezwaar", TP_YN_WEAK_YES },
	{ "doe", "maar", TP_YN_WEAK_YES },      { "of", "course", TP_YN_WEAK_YES },
	{ "go", "ahead", TP_YN_WEAK_YES },      { "think", "so", TP_YN_WEAK_YES },
	{ "niet", "zeker", TP_YN_DOUBT },       { "not", "sure", TP_YN_DOUBT },
	{ "geen", "idee", TP_YN_DOUBT },        { "no", "idea", TP_YN_DOUBT },
};

/* Emoji: thumbs up and down (with any skin tone after them). */
#define TP_THUMBS_UP "\xf0\x9f\x91\x8d"
#define TP_THUMBS_DOWN "\xf0\x9f\x91\x8e"

static enum tp_yn tp_yn_class(const char *w)
{
	if (strncmp(w, TP_THUMBS_UP, 4) == 0)
		return TP_YN_WEAK_YES;
	if (strncmp(w, TP_THUMBS_DOWN, 4) == 0)
		return TP_YN_WEAK_NO;
	if (text_parse_word_in(w, tp_yn_strong_yes) >= 0)
		return TP_YN_STRONG_YES;
	if (text_parse_word_in(w, tp_yn_strong_no) >= 0)
		return TP_YN_STRONG_NO;
	if (text_parse_word_in(w, tp_yn_doubt) >= 0)
		return TP_YN_DOUBT;
	if (text_parse_word_in(w, tp_yn_weak_yes) >= 0)
		return TP_YN_WEAK_YES;
	if (text_parse_word_in(w, tp_yn_weak_no) >= 0)
		return TP_YN_WEAK_NO;
	if (text_parse_word_in(w, tp_yn_neg) >= 0)
		return TP_YN_NEG;
	if (text_parse_word_in(w, tp_yn_fill) >= 0)
		return TP_YN_FILL;
	return TP_YN_OTHER;
}

static void tp_yn_classify(const struct tp_words *w, enum tp_yn *cls)
{
	for (size_t k = 0; k < w->n; k++)
		cls[k] = tp_yn_class(w->w[k]);
	for (size_t k = 0; k + 1 < w->n; k++) {
		for (size_t p = 0; p < sizeof(tp_yn_phrases) / sizeof(tp_yn_phrases[0]); p++) {
			if (strcmp(w->w[k], tp_yn_phrases[p].a) == 0 &&
			    strcmp(w->w[k + 1], tp_yn_phrases[p].b) == 0) {
				cls[k] = tp_yn_phrases[p].yn;
				cls[k + 1] = TP_YN_USED;
				break;
			}
		}
	}
	/* A negation within two words before a weak yes, or right after it,
	 * makes it a no: "niet goed", "niet helemaal juist", "klopt niet". */
	for (size_t k = 0; k < w->n; k++) {
		if (cls[k] != TP_YN_WEAK_YES)
			continue;
		for (size_t d = 1; d <= 2 && d <= k; d++) {
			if (cls[k - d] == TP_YN_NEG) {
				cls[k - d] = TP_YN_USED;
				cls[k] = TP_YN_WEAK_NO;
				break;
			}
		}
		if (cls[k] == TP_YN_WEAK_YES && k + 1 < w->n && cls[k + 1] == TP_YN_NEG) {
			cls[k + 1] = TP_YN_USED;
			cls[k] = TP_YN_WEAK_NO;
		}
	}
}

int text_parse_yes_no(const char *text)
{
	enum tp_yn cls[TP_WORDS_MAX];
	struct tp_words *w = NULL;
	struct tp_view v;
	size_t sy = 0, sn = 0, wy = 0, wn = 0, unknown = 0, first_strong = TP_WORDS_MAX;
	int strong, weak, rc = -1;

	if (text_parse_view_init(&v, text))
		goto out;
	w = xcalloc(1, sizeof(*w));
	text_parse_words(&v, w);
	if (w->n == 0 || w->more)
		goto out;
	tp_yn_classify(w, cls);
	for (size_t k = 0; k < w->n; k++) {
		switch (cls[k]) {
		case TP_YN_STRONG_YES:
		case TP_YN_STRONG_NO:
			if (cls[k] == TP_YN_STRONG_YES)
				sy++;
			else
				sn++;
			if (first_strong == TP_WORDS_MAX)
				first_strong = k;
			break;
		case TP_YN_WEAK_YES:
			wy++;
			break;
		case TP_YN_WEAK_NO:
		case TP_YN_NEG:
			wn++;
			break;
		case TP_YN_DOUBT:
			goto out;
		case TP_YN_OTHER:
			unknown++;
			break;
		default:
			break;
		}
	}
	if (sy && sn)
		goto out;
	strong = sy ? 1 : sn ? 0 : -1;
	weak = wy && wn ? -2 : wy ? 1 : wn ? 0 : -1;
	if (strong >= 0) {
		if (weak == -2 || (weak >= 0 && weak != strong))
			goto out;
		if (unknown > 2 && first_strong > 1)
			goto out;
		rc = strong;
	} else if (weak >= 0 && unknown <= 1) {
		rc = weak;
	}
out:
	free(w);
	text_parse_view_release(&v);
	return rc;
}

/* --- commands --- */

static const struct {
	const char *phrase;
	enum text_cmd cmd;
} tp_commands[] = {
	{ "stop", TEXT_CMD_CANCEL },
	{ "stoppen", TEXT_CMD_CANCEL },
	{ "stop ermee", TEXT_CMD_CANCEL },
	{ "ik stop", TEXT_CMD_CANCEL },
	{ "ik wil stoppen", TEXT_CMD_CANCEL },
	{ "ik wil annuleren", TEXT_CMD_CANCEL },
	{ "annuleer", TEXT_CMD_CANCEL },
	{ "annuleren", TEXT_CMD_CANCEL },
	{ "afbreken", TEXT_CMD_CANCEL },
	{ "breek af", TEXT_CMD_CANCEL },
	{ "hou op", TEXT_CMD_CANCEL },
	{ "houd op", TEXT_CMD_CANCEL },
	{ "laat maar", TEXT_CMD_CANCEL },
	{ "laat maar zitten", TEXT_CMD_CANCEL },
	{ "cancel", TEXT_CMD_CANCEL },
	{ "quit", TEXT_CMD_CANCEL },
	{ "exit", TEXT_CMD_CANCEL },
	{ "abort", TEXT_CMD_CANCEL },
	{ "never mind", TEXT_CMD_CANCEL },
	{ "nevermind", TEXT_CMD_CANCEL },
	{ "i want to stop", TEXT_CMD_CANCEL },
	{ "i want to quit", TEXT_CMD_CANCEL },
	{ "i want to cancel", TEXT_CMD_CANCEL },
	{ "terug", TEXT_CMD_BACK },
	{ "vorige", TEXT_CMD_BACK },
	{ "vorige vraag", TEXT_CMD_BACK },
	{ "ga terug", TEXT_CMD_BACK },
	{ "ga een stap terug", TEXT_CMD_BACK },
	{ "een stap terug", TEXT_CMD_BACK },
	{ "stap terug", TEXT_CMD_BACK },
	{ "ik wil terug", TEXT_CMD_BACK },
	{ "terug naar de vorige vraag", TEXT_CMD_BACK },
	{ "ga terug naar de vorige vraag", TEXT_CMD_BACK },
	{ "naar de vorige vraag", TEXT_CMD_BACK },
	{ "back", TEXT_CMD_BACK },
	{ "go back", TEXT_CMD_BACK },
	{ "previous", TEXT_CMD_BACK },
	{ "previous question", TEXT_CMD_BACK },
	{ "opnieuw", TEXT_CMD_RESTART },
	{ "overnieuw", TEXT_CMD_RESTART },
	{ "helemaal opnieuw", TEXT_CMD_RESTART },
	{ "begin opnieuw", TEXT_CMD_RESTART },
	{ "opnieuw beginnen", TEXT_CMD_RESTART },
	{ "start opnieuw", TEXT_CMD_RESTART },
	{ "opnieuw starten", TEXT_CMD_RESTART },
	{ "ik wil opnieuw beginnen", TEXT_CMD_RESTART },
	{ "van voren af aan", TEXT_CMD_RESTART },
	{ "start over", TEXT_CMD_RESTART },
	{ "restart", TEXT_CMD_RESTART },
	{ "reset", TEXT_CMD_RESTART },
	{ "begin again", TEXT_CMD_RESTART },
	{ "start again", TEXT_CMD_RESTART },
	{ "from the beginning", TEXT_CMD_RESTART },
	{ "from the start", TEXT_CMD_RESTART },
};

static const char *const tp_cmd_lead[] = {
	"ok", "oke", "okay", "nee", "no", "please", "sorry", "nou", "eh", "uhm", "dan", NULL,
};
static const char *const tp_cmd_tail[] = {
	"graag", "alsjeblieft", "alstublieft", "aub", "please", "maar", "nu", "pls", "svp", "dan",
	"even", "hoor", "now", NULL,
};

static enum text_cmd tp_cmd_lookup(const struct tp_words *w, size_t from, size_t to)
{
	char joined[TP_WORDS_MAX * (TP_WORD_MAX + 1)];
	size_t len = 0;

	if (from >= to)
		return TEXT_CMD_NONE;
	for (size_t k = from; k < to; k++) {
		size_t n = strlen(w->w[k]);

		if (len)
			joined[len++] = ' ';
		memcpy(joined + len, w->w[k], n);
		len += n;
	}
	joined[len] = '\0';
	for (size_t k = 0; k < sizeof(tp_commands) / sizeof(tp_commands[0]); k++) {
		if (strcmp(joined, tp_commands[k].phrase) == 0)
			return tp_commands[k].cmd;
	}
	return TEXT_CMD_NONE;
}

enum text_cmd text_parse_command(const char *text)
{
	enum text_cmd cmd = TEXT_CMD_NONE;
	struct tp_words *w = NULL;
	struct tp_view v;
	size_t from = 0, to;

	if (text_parse_view_init(&v, text))
		goto out;
	w = xcalloc(1, sizeof(*w));
	text_parse_words(&v, w);
	/* Commands are short; a long message is never one. */
	if (w->more || w->n > 8)
		goto out;
	to = w->n;
	cmd = tp_cmd_lookup(w, from, to);
	if (cmd != TEXT_CMD_NONE)
		goto out;
	while (from < to && text_parse_word_in(w->w[from], tp_cmd_lead) >= 0)
		from++;
	while (to > from && text_parse_word_in(w->w[to - 1], tp_cmd_tail) >= 0)
		to--;
	cmd = tp_cmd_lookup(w, from, to);
out:
	free(w);
	text_parse_view_release(&v);
	return cmd;
}

/* --- choice --- */

#define TP_MATCHES_MAX 256

struct tp_match {
	size_t opt, start, len;
};

struct tp_choice_ctx {
	const struct text_choice *options;
	size_t n;
	struct tp_words text;   /* the message */
	struct tp_words phrase; /* scratch: the current value or label */
	struct tp_match m[TP_MATCHES_MAX];
	size_t nm;
};

/* The p-th phrase of option k: p == 0 is the value, then the labels. */
static const char *tp_choice_phrase(const struct text_choice *o, size_t p)
{
	if (p == 0)
		return o->value;
	if (!o->labels || p - 1 >= o->n_labels)
		return NULL;
	return o->labels[p - 1];
}

/* Folds phrase s into c->phrase; 0 when it has no words or is too long. */
static int tp_choice_fold(struct tp_choice_ctx *c, const char *s)
{
	struct tp_view v;
	int ok = 0;

	c->phrase.n = 0;
	if (!s)
		return 0;
	if (text_parse_view_init(&v, s) == 0) {
		text_parse_words(&v, &c->phrase);
		ok = c->phrase.n > 0 && !c->phrase.more;
	}
	text_parse_view_release(&v);
	return ok;
}

/* Level 1: values, labels and synonyms as whole words. */
static int tp_choice_exact(struct tp_choice_ctx *c)
{
	size_t found = TEXT_CHOICE_MAX;

	c->nm = 0;
	for (size_t k = 0; k < c->n; k++) {
		for (size_t p = 0; p <= c->options[k].n_labels; p++) {
			if (!tp_choice_fold(c, tp_choice_phrase(&c->options[k], p)))
				continue;
			for (size_t s = 0; s + c->phrase.n <= c->text.n; s++) {
				size_t q = 0;

				while (q < c->phrase.n &&
				       strcmp(c->text.w[s + q], c->phrase.w[q]) == 0)
					q++;
				if (q < c->phrase.n || c->nm == TP_MATCHES_MAX)
					continue;
				c->m[c->nm].opt = k;
				c->m[c->nm].start = s;
				c->m[c->nm].len = q;
				c->nm++;
			}
		}
	}
	for (size_t a = 0; a < c->nm; a++) {
		int covered = 0;

		for (size_t b = 0; b < c->nm && !covered; b++) {
			covered = c->m[b].opt != c->m[a].opt && c->m[b].len > c->m[a].len &&
				  c->m[b].start <= c->m[a].start &&
				  c->m[a].start + c->m[a].len <= c->m[b].start + c->m[b].len;
		}
		if (covered)
			continue;
		if (found != TEXT_CHOICE_MAX && found != c->m[a].opt)
			return -2;
		found = c->m[a].opt;
	}
	return found == TEXT_CHOICE_MAX ? -1 : (int)found;
}

static const char *const tp_ordinals_nl[] = {
	"", "eerste", "tweede", "derde", "vierde", "vijfde", "zesde", "zevende", "achtste",
	"negende", "tiende", NULL,
};
static const char *const tp_ordinals_en[] = {
	"", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
	"ninth", "tenth", NULL,
};
static const char *const tp_number_markers[] = {
	"nummer", "nr", "optie", "keuze", "antwoord", "number", "no", "option", "choice",
	"answer", NULL,
};

/* A number word or digits 1..99 in w; 0 otherwise. */
static unsigned tp_word_number(const char *w)
{
	static const char *const nl[] = {
		"", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen",
		"tien", NULL,
	};
	static const char *const en[] = {
		"", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
		"ten", NULL,
	};
	unsigned n = 0;
	int k;

	k = text_parse_word_in(w, nl);
	if (k > 0)
		return (unsigned)k;
	k = text_parse_word_in(w, en);
	if (k > 0)
		return (unsigned)k;
	for (size_t i = 0; w[i]; i++) {
		if (w[i] < '0' || w[i] > '9' || i >= 2)
			return 0;
		n = n * 10 + (unsigned)(w[i] - '0');
	}
	return n;
}

/* "2e", "2de", "2ste", "1st", "2nd", "3rd", "4th", or an ordinal word. */
static unsigned tp_word_ordinal(const char *w)
{
	static const char *const suffixes[] = { "e", "de", "ste", "st", "nd", "rd", "th", NULL };
	unsigned n = 0;
	size_t i = 0;
	int k;

	k = text_parse_word_in(w, tp_ordinals_nl);
	if (k > 0)
		return (unsigned)k;
	k = text_parse_word_in(w, tp_ordinals_en);
	if (k > 0)
		return (unsigned)k;
	while (w[i] >= '0' && w[i] <= '9' && i < 2)
		n = n * 10 + (unsigned)(w[i++] - '0');
	if (i == 0 || text_parse_word_in(w + i, suffixes) < 0)
		return 0;
	return n;
}

/* Level 2: the option's number. */
static int tp_choice_number(struct tp_choice_ctx *c)
{
	const struct tp_words *t = &c->text;
	unsigned pick = 0;

	if (t->n == 1 && tp_word_number(t->w[0]))
		pick = tp_word_number(t->w[0]);
	for (size_t k = 0; k < t->n; k++) {
		unsigned n = tp_word_ordinal(t->w[k]);

		if (!n && k + 1 < t->n && text_parse_word_in(t->w[k], tp_number_markers) >= 0)
			n = tp_word_number(t->w[k + 1]);
		if (!n && (strcmp(t->w[k], "laatste") == 0 || strcmp(t->w[k], "last") == 0))
			n = (unsigned)c->n;
		if (!n || n > c->n)
			continue;
		if (pick && pick != n)
			return -2;
		pick = n;
	}
	if (pick > c->n)
		return -1;
	return pick ? (int)pick - 1 : -1;
}

static int tp_all_digits(const char *w)
{
	for (; *w; w++) {
		if (*w < '0' || *w > '9')
			return 0;
	}
	return 1;
}

/* One edit apart: a substitution, an insertion or deletion, or two adjacent
 * letters swapped (optimal string alignment distance 1). */
static int tp_one_edit(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;

	if (la + 1 < lb || lb + 1 < la)
		return 0;
	while (i < la && i < lb && a[i] == b[i])
		i++;
	if (i == la && i == lb)
		return 0;
	if (la == lb) {
		if (strcmp(a + i + 1, b + i + 1) == 0)
			return 1;
		return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
		       strcmp(a + i + 2, b + i + 2) == 0;
	}
	if (la > lb)
		return strcmp(a + i + 1, b + i) == 0;
	return strcmp(a + i, b + i + 1) == 0;
}

/* Levels 3 (prefix, typo 0) and 4 (typo 1): word by word. */
static int tp_choice_fuzzy(struct tp_choice_ctx *c, int typo)
{
	size_t found = TEXT_CHOICE_MAX;

	for (size_t k = 0; k < c->n; k++) {
		int hit = 0;

		for (size_t p = 0; p <= c->options[k].n_labels && !hit; p++) {
			if (!tp_choice_fold(c, tp_choice_phrase(&c->options[k], p)))
				continue;
			for (size_t t = 0; t < c->text.n && !hit; t++) {
				const char *w = c->text.w[t];
				size_t wl = strlen(w);

				if (wl < (typo ? 5u : 4u) || tp_all_digits(w) ||
				    text_stopword_is(w, wl))
					continue;
				for (size_t q = 0; q < c->phrase.n && !hit; q++) {
					const char *lw = c->phrase.w[q];
					size_t ll = strlen(lw);

					if (typo)
						hit = ll >= 5 && tp_one_edit(w, lw);
					else
						hit = ll > wl && strncmp(lw, w, wl) == 0;
				}
			}
		}
		if (!hit)
			continue;
		if (found != TEXT_CHOICE_MAX)
			return -2;
		found = k;
	}
	return found == TEXT_CHOICE_MAX ? -1 : (int)found;
}

int text_parse_choice(const char *text, const struct text_choice *options, size_t n)
{
	struct tp_choice_ctx *c = NULL;
	struct tp_view v;
	int rc = -1;

	if (text_parse_view_init(&v, text) || !options || n == 0 || n > TEXT_CHOICE_MAX)
		goto out;
	for (size_t k = 0; k < n; k++) {
		if (options[k].n_labels && !options[k].labels)
			goto out;
	}
	c = xcalloc(1, sizeof(*c));
	c->options = options;
	c->n = n;
	text_parse_words(&v, &c->text);
	if (c->text.n == 0)
		goto out;
	rc = tp_choice_exact(c);
	if (rc == -1)
		rc = tp_choice_number(c);
	if (rc == -1)
		rc = tp_choice_fuzzy(c, 0);
	if (rc == -1)
		rc = tp_choice_fuzzy(c, 1);
	if (rc < 0)
		rc = -1;
out:
	free(c);
	text_parse_view_release(&v);
	return rc;
}
