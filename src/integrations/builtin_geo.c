/* builtin_geo.c - addresses from the bot's demo address table (seeded from
 * adressen.csv): geo.lookup by postcode and house number, geo.search by free
 * text ("Kerkstraat 12a", "kerkstr. 14-2, Demostad", "4321 BA 12"). Stands
 * in for PDOK Locatieserver and gives the same WGS84 coordinates Signalen
 * needs.
 */
#include "integrations/integ_int.h"

#include "core/buf.h"
#include "text/text_norm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A house number with its letter and addition: "12", "12a", "12 A", "14-2". */
struct geo_house {
	int64_t number;
	char letter[2];
	char addition[8];
};

/* Parses s as a house number; false when it is not one. */
static bool geo_house_parse(const char *s, struct geo_house *h)
{
	size_t i = 0, n = 0;

	memset(h, 0, sizeof(*h));
	while (s[i] == ' ')
		i++;
	if (!isdigit((unsigned char)s[i]) || s[i] == '0')
		return false;
	while (isdigit((unsigned char)s[i])) {
		if (++n > 5)
			return false;
		h->number = h->number * 10 + (s[i++] - '0');
	}
	while (s[i] == ' ')
		i++;
	/* One letter directly or after a space: "12a", "12 A" (not "12 bis"). */
	if (isalpha((unsigned char)s[i]) && !isalnum((unsigned char)s[i + 1])) {
		h->letter[0] = (char)toupper((unsigned char)s[i++]);
		while (s[i] == ' ')
			i++;
	}
	if (s[i] == '-' || s[i] == '/') {
		i++;
		while (s[i] == ' ')
			i++;
		n = 0;
		while (isalnum((unsigned char)s[i])) {
			if (n + 1 >= sizeof(h->addition))
				return false;
			h->addition[n++] = (char)toupper((unsigned char)s[i++]);
		}
		if (!n)
			return false;
	}
	while (s[i] == ' ')
		i++;
	return s[i] == '\0';
}

/* The public result of one seeded address. */
static json_t *geo_result(const json_t *a)
{
	return json_pack("{s:s, s:O, s:O, s:s, s:O, s:s, s:s, s:s, s:s}", "address",
			 integ_str(a, "address"), "lat", json_object_get(a, "lat"), "lon",
			 json_object_get(a, "lon"), "street", integ_str(a, "street"), "number",
			 json_object_get(a, "number"), "letter", integ_str(a, "letter"), "addition",
			 integ_str(a, "addition"), "postcode", integ_str(a, "postcode"), "city",
			 integ_str(a, "city"));
}

/* Picks the address among all that matches: street_key (NULL: any street),
 * postcode (NULL: any) and the house. Without letter and addition the plain
 * number wins, else the only match. NULL when none or several. Borrowed. */
static json_t *geo_pick(json_t *all, const char *street_key, const char *city_key,
			const char *postcode, const struct geo_house *h)
{
	json_t *a, *plain = NULL, *only = NULL;
	size_t i, matches = 0;

	json_array_foreach(all, i, a) {
		if (json_integer_value(json_object_get(a, "number")) != h->number)
			continue;
		if (postcode && strcmp(integ_str(a, "postcode"), postcode))
			continue;
		if (street_key && strcmp(integ_str(a, "street_key"), street_key))
			continue;
		if (city_key && *city_key && strcmp(integ_str(a, "city_key"), city_key))
			continue;
		if ((h->letter[0] || h->addition[0]) &&
		    (strcasecmp(integ_str(a, "letter"), h->letter) ||
		     strcasecmp(integ_str(a, "addition"), h->addition)))
			continue;
		if (!*integ_str(a, "letter") && !*integ_str(a, "addition"))
			plain = a;
		only = a;
		matches++;
	}
	if (plain && !h->letter[0] && !h->addition[0])
		return plain;
	return matches == 1 ? only : NULL;
}

int integ_geo_lookup(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	char raw[INTEG_WORD_MAX], postcode[7], house[INTEG_WORD_MAX], letter[INTEG_WORD_MAX];
	char addition[INTEG_WORD_MAX], key[96];
	struct geo_house h;
	json_t *a = NULL, *all = NULL;
	int rc;

	rc = integ_arg_word(args, "postcode", true, raw, sizeof(raw), NULL, err);
	if (!rc && !integ_postcode_norm(raw, postcode))
		rc = integ_refuse(err, "invalid", "'postcode' is not a Dutch postcode (1234 AB)");
	if (!rc)
		rc = integ_arg_word(args, "number", true, house, sizeof(house), NULL, err);
	if (!rc && !geo_house_parse(house, &h))
		rc = integ_refuse(err, "invalid", "'number' is not a house number");
	if (!rc)
		rc = integ_arg_word(args, "letter", false, letter, sizeof(letter), NULL, err);
	if (!rc)
		rc = integ_arg_word(args, "addition", false, addition, sizeof(addition), NULL, err);
	if (rc)
		return rc;
	if (letter[0]) {
		if (!isalpha((unsigned char)letter[0]) || letter[1])
			return integ_refuse(err, "invalid", "'letter' is not one letter");
		h.letter[0] = (char)toupper((unsigned char)letter[0]);
	}
	if (addition[0]) {
		if (strlen(addition) >= sizeof(h.addition))
			return integ_refuse(err, "invalid", "'addition' is too long");
		for (size_t i = 0; addition[i]; i++) {
			if (!isalnum((unsigned char)addition[i]))
				return integ_refuse(err, "invalid",
						    "'addition' is not letters or digits");
			h.addition[i] = (char)toupper((unsigned char)addition[i]);
		}
	}
	integ_address_key(postcode, h.number, h.letter, h.addition, key, sizeof(key));
	rc = integ_data_get(c, INTEG_KIND_ADDRESS, key, &a, err);
	if (rc == LK_ENOTFOUND) {
		/* "12" where only "12A" exists, say. */
		rc = integ_data_list(c, INTEG_KIND_ADDRESS, &all, err);
		if (!rc) {
			json_t *pick = geo_pick(all, NULL, NULL, postcode, &h);

			if (pick)
				a = json_incref(pick);
			else
				rc = integ_not_found(err, "no address %s %lld%s%s%s", postcode,
						     (long long)h.number, h.letter,
						     h.addition[0] ? "-" : "", h.addition);
		}
		json_decref(all);
	}
	if (!rc)
		*out = geo_result(a);
	json_decref(a);
	return rc;
}

/* Folds s into out, keeping only letters, digits and single spaces. */
static void geo_fold_key(const char *s, size_t len, struct buf *out)
{
	struct buf f;

	buf_init(&f, 4096);
	(void)text_norm_fold(s, len, &f);
	buf_reset(out);
	for (size_t i = 0; i < f.len; i++) {
		unsigned char ch = (unsigned char)f.ptr[i];

		if (isalnum(ch) || ch >= 0x80)
			buf_addc(out, (char)ch);
		else if (out->len && out->ptr[out->len - 1] != ' ')
			buf_addc(out, ' ');
	}
	buf_rtrim(out);
	buf_release(&f);
}

/* Seeding uses the same folding for street and city keys. */
void integ_geo_key(const char *s, char *out, size_t size)
{
	struct buf b;

	buf_init(&b, 4096);
	geo_fold_key(s, strlen(s), &b);
	snprintf(out, size, "%s", b.ptr);
	buf_release(&b);
}

/* The one street whose key starts with prefix (an abbreviation like
 * "kerkstr"), or NULL. Borrowed from all. */
static const char *geo_street_by_prefix(json_t *all, const char *prefix)
{
	const char *found = NULL;
	json_t *a;
	size_t i, len = strlen(prefix);

	if (len < 4)
		return NULL;
	json_array_foreach(all, i, a) {
		const char *k = integ_str(a, "street_key");

		if (strncmp(k, prefix, len))
			continue;
		if (found && strcmp(found, k))
			return NULL; /* ambiguous */
		found = k;
	}
	return found;
}

/* Reads the house number at s (the first digit of the text); what follows
 * it, from a word of two letters on, is the city when city is still empty.
 * "14 2" reads as number 14, addition 2, as BAG writes it. */
static bool geo_split_house(const char *s, struct geo_house *h, struct buf *city)
{
	char house[64];
	size_t n = 0;

	while (*s && n + 1 < sizeof(house)) {
		if (isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]))
			break;
		house[n++] = *s++;
	}
	house[n] = '\0';
	if (!city->len && *s)
		buf_adds(city, s);
	if (geo_house_parse(house, h))
		return true;
	for (char *sp = strchr(house, ' '); sp; sp = strchr(sp + 1, ' ')) {
		if (isdigit((unsigned char)sp[1])) {
			*sp = '-';
			break;
		}
	}
	return geo_house_parse(house, h);
}

int integ_geo_search(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	char *text = NULL, postcode[7];
	struct buf key, street, city;
	struct geo_house h;
	json_t *all = NULL, *pick = NULL;
	const char *p, *digit, *comma;
	int rc;

	buf_init(&key, 16384);
	buf_init(&street, 4096);
	buf_init(&city, 4096);
	rc = integ_arg_text(args, "text", true, 3, 200, false, &text, err);
	if (rc)
		goto out;
	geo_fold_key(text, strlen(text), &key);
	rc = integ_data_list(c, INTEG_KIND_ADDRESS, &all, err);
	if (rc)
		goto out;
	/* "4321 ba 12" or "4321ba 12": postcode first. */
	for (p = key.ptr; *p; p++) {
		char pc[8];
		size_t n = 0;

		if (!isdigit((unsigned char)*p) || (p > key.ptr && p[-1] != ' '))
			continue;
		for (const char *q = p; *q && n < 7; q++) {
			if (*q != ' ')
				pc[n++] = *q;
			if (n == 6) {
				pc[6] = '\0';
				if (integ_postcode_norm(pc, postcode) &&
				    geo_house_parse(q + 1, &h)) {
					pick = geo_pick(all, NULL, NULL, postcode, &h);
					goto found;
				}
				break;
			}
		}
	}
	/* "street number[, city]": the street is what comes before the first digit. */
	digit = key.ptr;
	while (*digit && !isdigit((unsigned char)*digit))
		digit++;
	if (!*digit || digit == key.ptr) {
		rc = integ_refuse(err, "invalid", "give a street and a house number");
		goto out;
	}
	buf_add(&street, key.ptr, (size_t)(digit - key.ptr));
	buf_rtrim(&street);
	comma = strchr(text, ',');
	if (comma)
		geo_fold_key(comma + 1, strlen(comma + 1), &city);
	if (!geo_split_house(digit, &h, &city)) {
		rc = integ_refuse(err, "invalid", "no house number in '%.100s'", text);
		goto out;
	}
	pick = geo_pick(all, street.ptr, city.ptr, NULL, &h);
	if (!pick) {
		const char *full = geo_street_by_prefix(all, street.ptr);

		if (full)
			pick = geo_pick(all, full, city.ptr, NULL, &h);
	}
	/* A misspelt or unknown place name should not hide the street. */
	if (!pick && city.len)
		pick = geo_pick(all, street.ptr, NULL, NULL, &h);
found:
	if (pick)
		*out = geo_result(pick);
	else
		rc = integ_not_found(err, "no address matches '%.100s'", text);
out:
	json_decref(all);
	buf_release(&key);
	buf_release(&street);
	buf_release(&city);
	free(text);
	return rc;
}
