/* text_parse_ids.c - addresses and identifiers in messages: postcode, house
 * number, BSN, e-mail, Dutch phone number, IBAN and kenteken (see
 * text_parse.h). Each scans a folded view (text_parse_int.h) from the left;
 * e-mail reads the caller's bytes, since its local part keeps its case. */
#include "text/text_parse.h"
#include "text/text_parse_int.h"

#include <string.h>

static int tp_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static int tp_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int tp_alnum(char c)
{
	return tp_lower(c) || tp_digit(c);
}

static char tp_upper(char c)
{
	return tp_lower(c) ? (char)(c - 'a' + 'A') : c;
}

/* True when the word token i is plain ASCII a-z. */
static int tp_tok_ascii_word(const struct tp_view *v, size_t i)
{
	if (i >= v->ntok || v->tok[i].kind != TP_WORD)
		return 0;
	for (uint32_t k = v->tok[i].a; k < v->tok[i].b; k++) {
		if (!tp_lower(v->s[k]))
			return 0;
	}
	return 1;
}

/* True when the caller wrote token i in lower case. */
static int tp_tok_written_lower(const struct tp_view *v, size_t i)
{
	for (size_t k = v->from[v->tok[i].a]; k < v->to[v->tok[i].b - 1]; k++) {
		if (v->text[k] >= 'A' && v->text[k] <= 'Z')
			return 0;
	}
	return 1;
}

/* The longest value a finder below writes, with its NUL (an IBAN). */
#define TP_FOUND_MAX 35

/* Runs find (which writes at most TP_FOUND_MAX bytes) on the folded text
 * and copies what it found to out[size]. */
static int tp_find_put(const char *text, char *out, size_t size,
		       int (*find)(const struct tp_view *v, char *found))
{
	struct tp_view v;
	char buf[TP_FOUND_MAX];
	int found = 0;

	if (out && size)
		out[0] = '\0';
	if (text_parse_view_init(&v, text) == 0 && find(&v, buf))
		found = text_parse_put(out, size, buf);
	text_parse_view_release(&v);
	return found;
}

/* --- postcode --- */

/* Two-letter words that, written in lower case after a space, are no
 * postcode letters ("in 1990 en" is not 1990EN). */
static const char *const tp_postcode_words[] = {
	"al", "am", "an", "as", "at", "be", "by", "de", "do", "en", "er", "go", "he", "if",
	"ik", "in", "is", "it", "je", "me", "my", "na", "no", "nu", "of", "ok", "om", "on",
	"op", "or", "so", "te", "to", "up", "us", "uw", "we", "ze", "zo", NULL,
};

/* A postcode starting at token i; fills out (may be NULL) and *last. */
static int tp_postcode_at(const struct tp_view *v, size_t i, char out[7], size_t *last)
{
	size_t j = i + 1;
	const char *w;

	if (!text_parse_num_starts(v, i) || text_parse_tok_len(v, i) != 4 || v->s[v->tok[i].a] == '0')
		return 0;
	if (!tp_tok_ascii_word(v, j) || text_parse_tok_len(v, j) != 2)
		return 0;
	if (v->tok[j].gap > 1 || !text_parse_num_ends(v, j))
		return 0;
	w = v->s + v->tok[j].a;
	if ((w[0] == 's' && (w[1] == 'a' || w[1] == 'd' || w[1] == 's')))
		return 0;
	if (v->tok[j].gap && text_parse_tok_in(v, j, tp_postcode_words) >= 0 &&
	    tp_tok_written_lower(v, j))
		return 0;
	if (out) {
		memcpy(out, v->s + v->tok[i].a, 4);
		out[4] = tp_upper(w[0]);
		out[5] = tp_upper(w[1]);
		out[6] = '\0';
	}
	*last = j;
	return 1;
}

int text_parse_postcode(const char *text, char out[7])
{
	struct tp_view v;
	size_t last;
	int found = 0;

	if (out)
		out[0] = '\0';
	if (text_parse_view_init(&v, text))
		goto out;
	for (size_t i = 0; i < v.ntok && !found; i++)
		found = tp_postcode_at(&v, i, out, &last);
out:
	text_parse_view_release(&v);
	return found;
}

/* --- house number --- */

/* Additions that may follow the number after a space ("12 bis", "12 II"). */
static const char *const tp_additions[] = {
	"bis", "hs", "hg", "bg", "zw", "rd", "ii", "iii", "iv", "vi", "vii", "viii", "ix", NULL,
};
static const char *const tp_house_markers[] = {
	"nr", "nummer", "huisnummer", "huisnr", "number", "no", NULL,
};
/* Words after a number that make it something other than a house number. */
static const char *const tp_house_not[] = {
	"uur", "u", "jaar", "jaren", "euro", "eur", "dag", "dagen", "week", "weken", "maand",
	"maanden", "keer", "kinderen", "personen", "mensen", "minuten", "procent", "km", "kg",
	"meter", "years", "days", "weeks", "months", "hours", "minutes", "times", "people",
	"percent", "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
	"september", "oktober", "november", "december", "january", "february", "march", "may",
	"june", "july", "august", "october", NULL,
};
/* Words before a number that make it an amount, a time or a duration. */
static const char *const tp_house_not_before[] = {
	"\xe2\x82\xac", "eur", "euro", "om", "at", "over", "binnen", "within", NULL,
};
static const char *const tp_street_suffix[] = {
	"straat", "laan", "weg", "plein", "gracht", "kade", "dijk", "singel", "park", "hof",
	"steeg", "pad", "dreef", "plantsoen", "markt", "baan", "wal", "boulevard", "ring",
	"erf", "veld", "hoeve", "haven", "burg", "street", "road", "avenue", "lane", NULL,
};

/* Appends the glued letters and digits from token j on to add (at most 4);
 * returns the last token used, or 0 when there are none or too many. */
static size_t tp_addition(const struct tp_view *v, size_t j, char add[5])
{
	size_t n = 0, last = 0;

	if (j >= v->ntok || v->tok[j].kind == TP_SYM || v->tok[j].gap > 1)
		return 0;
	for (size_t k = j; k < v->ntok && (k == j || text_parse_tok_glued(v, k)); k++) {
		if (v->tok[k].kind == TP_SYM)
			break;
		if (v->tok[k].kind == TP_WORD && !tp_tok_ascii_word(v, k))
			return 0;
		for (uint32_t b = v->tok[k].a; b < v->tok[k].b; b++) {
			if (n == 4)
				return 0;
			add[n++] = tp_upper(v->s[b]);
		}
		last = k;
	}
	add[n] = '\0';
	return n ? last : 0;
}

/* A house number starting at NUM token i. */
static int tp_house_at(const struct tp_view *v, size_t i, struct text_house_number *h,
		       size_t *last)
{
	size_t j = i, k;

	memset(h, 0, sizeof(*h));
	if (i >= v->ntok || v->tok[i].kind != TP_NUM || text_parse_tok_len(v, i) > 5 ||
	    v->s[v->tok[i].a] == '0')
		return 0;
	if (text_parse_tok_glued(v, i) && text_parse_tok_in(v, i - 1, tp_house_markers) < 0 &&
	    !text_parse_num_starts(v, i))
		return 0;
	h->number = v->tok[i].num;
	if (tp_tok_ascii_word(v, j + 1) && text_parse_tok_glued(v, j + 1)) {
		if (text_parse_tok_len(v, j + 1) == 1) {
			h->letter[0] = tp_upper(v->s[v->tok[j + 1].a]);
			j++;
		} else if (text_parse_tok_in(v, j + 1, tp_additions) >= 0) {
			tp_addition(v, j + 1, h->addition);
			j++;
		} else {
			return 0;
		}
	} else if (tp_tok_ascii_word(v, j + 1) && v->tok[j + 1].gap == 1) {
		if (text_parse_tok_len(v, j + 1) == 1 &&
		    (j + 2 >= v->ntok || v->tok[j + 2].kind != TP_WORD)) {
			h->letter[0] = tp_upper(v->s[v->tok[j + 1].a]);
			j++;
		} else if (text_parse_tok_in(v, j + 1, tp_additions) >= 0) {
			tp_addition(v, j + 1, h->addition);
			j++;
		}
	}
	if (!h->addition[0] && text_parse_tok_sym(v, j + 1, '-') &&
	    text_parse_tok_glued(v, j + 1) && text_parse_tok_glued(v, j + 2)) {
		k = tp_addition(v, j + 2, h->addition);
		if (!k)
			return 0;
		j = k;
	}
	if (!text_parse_num_ends(v, j))
		return 0;
	*last = j;
	return 1;
}

static int tp_word_ends_with(const struct tp_view *v, size_t i, const char *const *list)
{
	size_t len = text_parse_tok_len(v, i);

	if (i >= v->ntok || v->tok[i].kind != TP_WORD)
		return 0;
	for (size_t k = 0; list[k]; k++) {
		size_t n = strlen(list[k]);

		if (len >= n && memcmp(v->s + v->tok[i].b - n, list[k], n) == 0)
			return 1;
	}
	return 0;
}

static int tp_house_find(const struct tp_view *v, struct text_house_number *h)
{
	size_t last, i, k;

	/* 1. Right after a postcode. */
	for (i = 0; i < v->ntok; i++) {
		if (!tp_postcode_at(v, i, NULL, &last))
			continue;
		k = last + 1;
		while (k < v->ntok && (v->tok[k].kind == TP_SYM ||
				       text_parse_tok_in(v, k, tp_house_markers) >= 0))
			k++;
		if (tp_house_at(v, k, h, &last))
			return 1;
	}
	/* 2. After a marker: "nr 12", "nr. 12", "nummer: 12", "#12". */
	for (i = 0; i < v->ntok; i++) {
		if (text_parse_tok_in(v, i, tp_house_markers) < 0 && !text_parse_tok_sym(v, i, '#'))
			continue;
		k = i + 1;
		if (text_parse_tok_sym(v, k, '.') || text_parse_tok_sym(v, k, ':'))
			k++;
		if (tp_house_at(v, k, h, &last))
			return 1;
	}
	/* 3. After a street name. */
	for (i = 0; i + 1 < v->ntok; i++) {
		if (tp_word_ends_with(v, i, tp_street_suffix) && !text_parse_tok_glued(v, i + 1) &&
		    !tp_postcode_at(v, i + 1, NULL, &last) && tp_house_at(v, i + 1, h, &last))
			return 1;
	}
	/* 4. The first number that stands alone. */
	for (i = 0; i < v->ntok; i++) {
		if (tp_postcode_at(v, i, NULL, &last)) {
			i = last;
			continue;
		}
		if (!tp_house_at(v, i, h, &last))
			continue;
		if (text_parse_tok_in(v, last + 1, tp_house_not) >= 0 ||
		    (i > 0 && text_parse_tok_in(v, i - 1, tp_house_not_before) >= 0) ||
		    (i > 0 && v->tok[i - 1].kind == TP_SYM && strchr("+$", v->s[v->tok[i - 1].a])))
			continue;
		return 1;
	}
	memset(h, 0, sizeof(*h));
	return 0;
}

int text_parse_house_number(const char *text, struct text_house_number *out)
{
	struct text_house_number h;
	struct tp_view v;
	int found = 0;

	memset(&h, 0, sizeof(h));
	if (text_parse_view_init(&v, text) == 0)
		found = tp_house_find(&v, &h);
	text_parse_view_release(&v);
	if (out)
		*out = h;
	return found;
}

/* --- BSN --- */

#define TP_DIGITS_MAX 24

static int tp_elfproef(const char d[9])
{
	int sum = 0, zero = 1;

	for (int k = 0; k < 8; k++) {
		sum += (9 - k) * (d[k] - '0');
		if (d[k] != '0')
			zero = 0;
	}
	sum -= d[8] - '0';
	return !zero && sum % 11 == 0;
}

/* A run of digit groups joined by single glued "." or "-", or by a little
 * white space. */
struct tp_digits {
	char d[TP_DIGITS_MAX + 1];
	size_t n;
	size_t cut[TP_DIGITS_MAX]; /* digit counts where a group ends */
	char sep[TP_DIGITS_MAX];   /* what follows that group: ' ', '.', '-' or 0 */
	size_t ncut;
	size_t last;               /* the last token of the run */
};

/* Collects the run starting at NUM token i; seps are the glued separators
 * allowed. Returns 0 when the run is too long or glued to a word after. */
static int tp_digits_run(const struct tp_view *v, size_t i, const char *seps, struct tp_digits *r)
{
	size_t j = i;

	memset(r, 0, sizeof(*r));
	for (;;) {
		size_t len = text_parse_tok_len(v, j);

		if (r->n + len > TP_DIGITS_MAX || r->ncut == TP_DIGITS_MAX)
			return 0;
		memcpy(r->d + r->n, v->s + v->tok[j].a, len);
		r->n += len;
		r->cut[r->ncut++] = r->n;
		if (text_parse_tok_glued(v, j + 1) && v->tok[j + 1].kind == TP_SYM &&
		    strchr(seps, v->s[v->tok[j + 1].a]) && text_parse_tok_glued(v, j + 2) &&
		    v->tok[j + 2].kind == TP_NUM) {
			r->sep[r->ncut - 1] = v->s[v->tok[j + 1].a];
			j += 2;
			continue;
		}
		if (j + 1 < v->ntok && v->tok[j + 1].kind == TP_NUM && v->tok[j + 1].gap >= 1 &&
		    v->tok[j + 1].gap <= 2) {
			r->sep[r->ncut - 1] = ' ';
			j++;
			continue;
		}
		break;
	}
	r->d[r->n] = '\0';
	r->last = j;
	return text_parse_num_ends(v, j);
}

static int tp_bsn_try(const char *d, size_t n, int may_pad, char out[10])
{
	char b[9];

	if (n == 9)
		memcpy(b, d, 9);
	else if (n == 8 && may_pad) {
		b[0] = '0';
		memcpy(b + 1, d, 8);
	} else {
		return 0;
	}
	if (!tp_elfproef(b))
		return 0;
	if (out) {
		memcpy(out, b, 9);
		out[9] = '\0';
	}
	return 1;
}

static int tp_bsn_find(const struct tp_view *v, char out[10])
{
	struct tp_digits r;

	for (size_t i = 0; i < v->ntok; i++) {
		size_t from = 0;

		if (!text_parse_num_starts(v, i))
			continue;
		if (i > 0 && text_parse_tok_sym(v, i - 1, '+')) {
			if (tp_digits_run(v, i, ".-", &r))
				i = r.last;
			continue;
		}
		if (!tp_digits_run(v, i, ".-", &r)) {
			i = r.last > i ? r.last : i;
			continue;
		}
		i = r.last;
		if (tp_bsn_try(r.d, r.n, r.ncut == 1, out))
			return 1;
		/* Space-separated parts on their own: "ik ben 45 123456782". */
		for (size_t c = 0; c < r.ncut; c++) {
			if (r.sep[c] != ' ' && c + 1 < r.ncut)
				continue;
			if (from > 0 || c + 1 < r.ncut) {
				if (tp_bsn_try(r.d + from, r.cut[c] - from, 0, out))
					return 1;
			}
			from = r.cut[c];
		}
	}
	return 0;
}

int text_parse_bsn(const char *text, char out[10])
{
	struct tp_view v;
	int found = 0;

	if (out)
		out[0] = '\0';
	if (text_parse_view_init(&v, text) == 0)
		found = tp_bsn_find(&v, out);
	text_parse_view_release(&v);
	return found;
}

/* --- e-mail --- */

#define TP_EMAIL_MAX 254
#define TP_LOCAL_MAX 64
#define TP_LABEL_MAX 63

static int tp_ascii_alnum(char c)
{
	return tp_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int tp_local_char(char c)
{
	return tp_ascii_alnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-.", c));
}

static int tp_domain_ok(const char *d, size_t n)
{
	size_t label = 0, labels = 0, tld = 0;
	int tld_letters = 1;

	if (n == 0)
		return 0;
	for (size_t k = 0; k <= n; k++) {
		if (k == n || d[k] == '.') {
			if (label == 0 || label > TP_LABEL_MAX || d[k - 1] == '-' ||
			    d[k - label] == '-')
				return 0;
			labels++;
			tld = label;
			tld_letters = 1;
			for (size_t t = k - label; t < k; t++) {
				if (tp_digit(d[t]) || d[t] == '-')
					tld_letters = 0;
			}
			label = 0;
			continue;
		}
		if (!tp_ascii_alnum(d[k]) && d[k] != '-')
			return 0;
		label++;
	}
	return labels >= 2 && tld >= 2 && tld_letters;
}

/* The address around the '@' at text[at], if any; writes it to out. */
static int tp_email_at(const char *t, size_t n, size_t at, char *out, size_t size)
{
	size_t l = at, r = at + 1, len;

	while (l > 0 && tp_local_char(t[l - 1]) && at - l <= TP_LOCAL_MAX + 2)
		l--;
	if (l > 0 && tp_local_char(t[l - 1]))
		return 0;
	while (l < at && (t[l] == '\'' || t[l] == '`' || t[l] == '.'))
		l++;
	if (l > 0 && (t[l - 1] == '@' || (unsigned char)t[l - 1] >= 0x80))
		return 0;
	if (l == at || at - l > TP_LOCAL_MAX || t[at - 1] == '.' || memmem(t + l, at - l, "..", 2))
		return 0;
	while (r < n && (tp_ascii_alnum(t[r]) || t[r] == '-' || t[r] == '.') &&
	       r - at <= TP_EMAIL_MAX)
		r++;
	while (r > at + 1 && t[r - 1] == '.')
		r--;
	if (r < n && (t[r] == '@' || t[r] == '_' || (unsigned char)t[r] >= 0x80 ||
		      tp_ascii_alnum(t[r]) || t[r] == '-'))
		return 0;
	len = r - l;
	if (len > TP_EMAIL_MAX || !tp_domain_ok(t + at + 1, r - at - 1))
		return 0;
	if (!out)
		return 1;
	if (len >= size) {
		if (size)
			out[0] = '\0';
		return 0;
	}
	memcpy(out, t + l, len);
	for (size_t k = at - l + 1; k < len; k++) {
		if (out[k] >= 'A' && out[k] <= 'Z')
			out[k] = (char)(out[k] - 'A' + 'a');
	}
	out[len] = '\0';
	return 1;
}

int text_parse_email(const char *text, char *out, size_t size)
{
	size_t n;

	if (out && size)
		out[0] = '\0';
	if (!text)
		return 0;
	n = strnlen(text, TEXT_PARSE_MAX_INPUT + 1);
	if (n > TEXT_PARSE_MAX_INPUT)
		return 0;
	for (size_t at = 0; at < n; at++) {
		if (text[at] == '@' && tp_email_at(text, n, at, out, size))
			return 1;
	}
	return 0;
}

/* --- phone numbers --- */

#define TP_PHONE_DIGITS 20

/* National significant number d[0..n) (after the 0 or +31): valid lengths. */
static int tp_phone_national_ok(const char *d, size_t n)
{
	if (n < 7)
		return 0;
	switch (d[0]) {
	case '6':
		return n == 9 && ((d[1] >= '1' && d[1] <= '5') || d[1] == '8');
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '7':
		return n == 9;
	case '8':
		if (d[1] == '0' && d[2] == '0')
			return n >= 7 && n <= 10;
		return n == 9 && (d[1] == '4' || d[1] == '5' || d[1] == '7' || d[1] == '8');
	case '9':
		if (d[1] == '0' && (d[2] == '0' || d[2] == '6' || d[2] == '9'))
			return n >= 7 && n <= 10;
		return 0;
	default:
		return 0;
	}
}

/* Writes "+31..." for digits d[0..n) (plus: written with a leading '+'). */
static int tp_phone_norm(int plus, const char *d, size_t n, char e164[16])
{
	size_t k;

	if (plus) {
		if (n < 3 || d[0] != '3' || d[1] != '1')
			return 0;
		k = 2;
	} else if (n >= 4 && memcmp(d, "0031", 4) == 0) {
		k = 4;
	} else if (n >= 2 && d[0] == '0' && d[1] != '0') {
		k = 0;
	} else {
		return 0;
	}
	if (k < n && d[k] == '0')
		k++;
	if (!tp_phone_national_ok(d + k, n - k))
		return 0;
	memcpy(e164, "+31", 3);
	memcpy(e164 + 3, d + k, n - k);
	e164[3 + n - k] = '\0';
	return 1;
}

/* A phone number starting at token i ('+', '(' or digits). */
static int tp_phone_at(const struct tp_view *v, size_t i, char e164[16], size_t *last)
{
	char d[TP_PHONE_DIGITS + 1];
	size_t cut[TP_PHONE_DIGITS], ncut = 0, n = 0, j = i;
	int plus = 0;

	*last = i;
	if (text_parse_tok_sym(v, j, '+') || text_parse_tok_sym(v, j, '(')) {
		plus = v->s[v->tok[j].a] == '+';
		if (text_parse_tok_glued(v, j) &&
		    (v->tok[j - 1].kind != TP_SYM || v->s[v->tok[j - 1].a] == '+'))
			return 0;
		if (!text_parse_tok_glued(v, j + 1) || j + 1 >= v->ntok ||
		    v->tok[j + 1].kind != TP_NUM)
			return 0;
		j++;
	} else if (!text_parse_num_starts(v, j)) {
		return 0;
	}
	for (;;) {
		size_t len = text_parse_tok_len(v, j), k = j + 1, nsep = 0;

		if (n + len > TP_PHONE_DIGITS)
			return 0;
		memcpy(d + n, v->s + v->tok[j].a, len);
		n += len;
		cut[ncut++] = n;
		*last = j;
		/* Separators: up to three of - . / ( ) with a little space. */
		while (k < v->ntok && v->tok[k].gap <= 2 && nsep < 3 && v->tok[k].kind == TP_SYM &&
		       strchr("-./()", v->s[v->tok[k].a])) {
			k++;
			nsep++;
		}
		if (k < v->ntok && v->tok[k].kind == TP_NUM && v->tok[k].gap <= 2 &&
		    (nsep || v->tok[k].gap)) {
			j = k;
			continue;
		}
		break;
	}
	if (text_parse_tok_glued(v, *last + 1) && v->tok[*last + 1].kind != TP_SYM)
		return 0;
	d[n] = '\0';
	/* The whole run, else the longest valid part that ends at a separator. */
	for (size_t c = ncut; c > 0; c--) {
		if (tp_phone_norm(plus, d, cut[c - 1], e164))
			return 1;
	}
	return 0;
}

static int tp_phone_find(const struct tp_view *v, char *e164)
{
	size_t last;

	for (size_t i = 0; i < v->ntok; i++) {
		if (tp_phone_at(v, i, e164, &last))
			return 1;
	}
	return 0;
}

int text_parse_phone_nl(const char *text, char *out, size_t size)
{
	return tp_find_put(text, out, size, tp_phone_find);
}

/* --- IBAN --- */

#define TP_IBAN_MAX 34

/* ISO 13616 register: country and IBAN length. */
static const struct {
	char cc[3];
	unsigned char len;
} tp_iban_len[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 }, { "BA", 20 },
	{ "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BR", 29 }, { "BY", 28 }, { "CH", 21 },
	{ "CR", 22 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DK", 18 }, { "DO", 28 },
	{ "EE", 20 }, { "EG", 29 }, { "ES", 24 }, { "FI", 18 }, { "FO", 18 }, { "FR", 27 },
	{ "GB", 22 }, { "GE", 22 }, { "GI", 23 }, { "GL", 18 }, { "GR", 27 }, { "GT", 28 },
	{ "HR", 21 }, { "HU", 28 }, { "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 },
	{ "IT", 27 }, { "JO", 30 }, { "KW", 30 }, { "KZ", 20 }, { "LB", 28 }, { "LC", 32 },
	{ "LI", 21 }, { "LT", 20 }, { "LU", 20 }, { "LV", 21 }, { "MC", 27 }, { "MD", 24 },
	{ "ME", 22 }, { "MK", 19 }, { "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NL", 18 },
	{ "NO", 15 }, { "PK", 24 }, { "PL", 28 }, { "PS", 29 }, { "PT", 25 }, { "QA", 29 },
	{ "RO", 24 }, { "RS", 22 }, { "SA", 24 }, { "SC", 31 }, { "SE", 24 }, { "SI", 19 },
	{ "SK", 24 }, { "SM", 27 }, { "ST", 25 }, { "SV", 28 }, { "TL", 23 }, { "TN", 24 },
	{ "TR", 26 }, { "UA", 29 }, { "VA", 22 }, { "VG", 24 }, { "XK", 20 },
};

static size_t tp_iban_country_len(const char *cc)
{
	for (size_t k = 0; k < sizeof(tp_iban_len) / sizeof(tp_iban_len[0]); k++) {
		if (tp_iban_len[k].cc[0] == cc[0] && tp_iban_len[k].cc[1] == cc[1])
			return tp_iban_len[k].len;
	}
	return 0;
}

/* ib: upper-case, n characters; the ISO 7064 mod 97-10 check. */
static int tp_iban_check(const char *ib, size_t n)
{
	unsigned rem = 0;

	if (memcmp(ib + 2, "00", 2) == 0 || memcmp(ib + 2, "01", 2) == 0 ||
	    memcmp(ib + 2, "99", 2) == 0)
		return 0;
	for (size_t k = 0; k < n; k++) {
		char c = ib[(k + 4) % n];

		if (tp_digit(c))
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
	}
	return rem == 1;
}

static int tp_iban_at(const struct tp_view *v, size_t p, char ib[TP_IBAN_MAX + 1])
{
	const char *s = v->s;
	size_t n = 0, q = p, want = 0;

	if (p > 0 && tp_alnum(s[p - 1]))
		return 0;
	while (q < v->len && n < TP_IBAN_MAX) {
		if (tp_alnum(s[q])) {
			ib[n++] = tp_upper(s[q++]);
			if (n == 4) {
				if (!tp_lower(s[p]) || ib[1] < 'A' || ib[1] > 'Z' ||
				    !tp_digit(ib[2]) || !tp_digit(ib[3]))
					return 0;
				want = tp_iban_country_len(ib);
				if (!want)
					return 0;
			}
			if (want && n == want)
				break;
			continue;
		}
		if (s[q] == ' ' && n > 0 && q + 1 < v->len && tp_alnum(s[q + 1])) {
			q++;
			continue;
		}
		return 0;
	}
	if (!want || n != want || (q < v->len && tp_alnum(s[q])))
		return 0;
	ib[n] = '\0';
	if (memcmp(ib, "NL", 2) == 0) {
		for (size_t k = 4; k < 18; k++) {
			if (k < 8 ? tp_digit(ib[k]) : !tp_digit(ib[k]))
				return 0;
		}
	}
	return tp_iban_check(ib, n);
}

static int tp_iban_find(const struct tp_view *v, char *ib)
{
	for (size_t p = 0; p + 4 <= v->len; p++) {
		if (tp_lower(v->s[p]) && tp_iban_at(v, p, ib))
			return 1;
	}
	return 0;
}

int text_parse_iban(const char *text, char *out, size_t size)
{
	return tp_find_put(text, out, size, tp_iban_find);
}

/* --- kenteken --- */

/* Sidecodes 1..14; L a letter, D a digit, '-' where the dash goes. */
static const char *const tp_sidecodes[] = {
	"LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL", "DD-LLL-D",
	"D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL", "D-LL-DDD", "DDD-LL-D",
};

/* A plate written at v->s[p..): six letters and digits with all the dashes
 * of its sidecode or none. */
static int tp_kenteken_at(const struct tp_view *v, size_t p, char out[9])
{
	const char *s = v->s;
	char chars[6];
	unsigned dash_after = 0; /* bit k: a dash after character k */
	size_t n = 0, q = p;

	if (p > 0 && (tp_alnum(s[p - 1]) || s[p - 1] == '-' || (unsigned char)s[p - 1] >= 0x80))
		return 0;
	while (q < v->len) {
		if (tp_alnum(s[q])) {
			if (n == 6)
				return 0;
			chars[n++] = s[q++];
			continue;
		}
		if (s[q] == '-' && n > 0 && n < 6 && !(dash_after & (1u << (n - 1))) &&
		    q + 1 < v->len && tp_alnum(s[q + 1])) {
			dash_after |= 1u << (n - 1);
			q++;
			continue;
		}
		break;
	}
	if (n != 6 || (q < v->len && (s[q] == '-' || (unsigned char)s[q] >= 0x80)))
		return 0;
	for (size_t k = 0; k < sizeof(tp_sidecodes) / sizeof(tp_sidecodes[0]); k++) {
		const char *pat = tp_sidecodes[k];
		unsigned dashes = 0;
		size_t c = 0, o = 0;
		int ok = 1;

		for (const char *x = pat; *x && ok; x++) {
			if (*x == '-') {
				dashes |= 1u << (c - 1);
				continue;
			}
			ok = *x == 'L' ? tp_lower(chars[c]) : tp_digit(chars[c]);
			c++;
		}
		if (!ok || (dash_after && dash_after != dashes))
			continue;
		c = 0;
		for (const char *x = pat; *x; x++)
			out[o++] = *x == '-' ? '-' : tp_upper(chars[c++]);
		out[o] = '\0';
		return 1;
	}
	return 0;
}

static int tp_kenteken_find(const struct tp_view *v, char *plate)
{
	for (size_t p = 0; p < v->len; p++) {
		if (tp_alnum(v->s[p]) && tp_kenteken_at(v, p, plate))
			return 1;
	}
	return 0;
}

int text_parse_kenteken(const char *text, char *out, size_t size)
{
	return tp_find_put(text, out, size, tp_kenteken_find);
}
