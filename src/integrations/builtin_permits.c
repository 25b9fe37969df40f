/* builtin_permits.c - registering for a service: a parking permit
 * application (bewonersvergunning, bezoekersvergunning, ...). One active
 * application or permit per licence plate per permit type; the store checks
 * that and inserts in one transaction.
 */
#include "integrations/integ_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERMIT_TRIES 5

int integ_permit_types(const struct integ_ctx *c, json_t *args, json_t **out, struct lk_err *err)
{
	return integ_options(c, INTEG_KIND_PERMIT, out, err);
}

/* "ab-123-c" -> "AB123C": six letters and digits, at least one of each
 * (every Dutch plate since 1951 looks like that). */
static bool permit_plate_norm(const char *in, char out[7])
{
	size_t n = 0, letters = 0, digits = 0;

	for (const char *p = in; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '-' || ch == ' ')
			continue;
		if (!isalnum(ch) || n == 6)
			return false;
		letters += isalpha(ch) != 0;
		digits += isdigit(ch) != 0;
		out[n++] = (char)toupper(ch);
	}
	out[n] = '\0';
	return n == 6 && letters && digits;
}

/* "NL91 ABNA 0417 1643 00" -> "NL91ABNA0417164300" when the ISO 13616
 * check (mod 97) holds; out holds 35 bytes. */
static bool permit_iban_norm(const char *in, char out[35])
{
	size_t n = 0;
	unsigned rem = 0;

	for (const char *p = in; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == ' ')
			continue;
		if (!isalnum(ch) || n == 34)
			return false;
		out[n++] = (char)toupper(ch);
	}
	out[n] = '\0';
	if (n < 15 || !isalpha((unsigned char)out[0]) || !isalpha((unsigned char)out[1]) ||
	    !isdigit((unsigned char)out[2]) || !isdigit((unsigned char)out[3]))
		return false;
	if (!strncmp(out, "NL", 2) && n != 18)
		return false;
	/* The first four characters move to the end; letters count as 10..35. */
	for (size_t i = 0; i < n; i++) {
		char ch = out[(i + 4) % n];

		if (isdigit((unsigned char)ch))
			rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(ch - 'A' + 10)) % 97;
	}
	return rem == 1;
}

/* A house number as people write it: "12", "12a", "12-2" (at most 12 bytes). */
static bool permit_house_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 12 || !isdigit((unsigned char)s[0]) || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != ' ')
			return false;
	}
	return true;
}

int integ_permit_register(const struct integ_ctx *c, json_t *args, json_t **out,
			  struct lk_err *err)
{
	char type[INTEG_WORD_MAX], raw[INTEG_WORD_MAX], postcode[7], house[INTEG_WORD_MAX];
	char plate[INTEG_WORD_MAX], kenteken[7], iban_raw[INTEG_WORD_MAX], iban[35] = "";
	char uniq[INTEG_WORD_MAX * 2];
	char *name = NULL, *email = NULL, *data = NULL;
	struct store_record r;
	json_t *t = NULL, *doc;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = integ_arg_word(args, "type", true, type, sizeof(type), NULL, err);
	if (!rc) {
		rc = integ_data_get(c, INTEG_KIND_PERMIT, type, &t, err);
		if (rc == LK_ENOTFOUND)
			rc = integ_refuse(err, "invalid", "unknown permit type '%s'", type);
	}
	if (!rc)
		rc = integ_arg_text(args, "name", true, 1, INTEG_NAME_MAX, false, &name, err);
	if (!rc)
		rc = integ_arg_word(args, "postcode", true, raw, sizeof(raw), NULL, err);
	if (!rc && !integ_postcode_norm(raw, postcode))
		rc = integ_refuse(err, "invalid", "'postcode' is not a Dutch postcode (1234 AB)");
	if (!rc)
		rc = integ_arg_word(args, "number", true, house, sizeof(house), NULL, err);
	if (!rc && !permit_house_ok(house))
		rc = integ_refuse(err, "invalid", "'number' is not a house number");
	if (!rc)
		rc = integ_arg_word(args, "kenteken", true, plate, sizeof(plate), NULL, err);
	if (!rc && !permit_plate_norm(plate, kenteken))
		rc = integ_refuse(err, "invalid", "'kenteken' is not a Dutch licence plate");
	if (!rc)
		rc = integ_arg_text(args, "email", true, 5, INTEG_EMAIL_MAX, false, &email, err);
	if (!rc && !integ_email_ok(email))
		rc = integ_refuse(err, "invalid", "'email' is not an e-mail address");
	if (!rc)
		rc = integ_arg_word(args, "iban", false, iban_raw, sizeof(iban_raw), NULL, err);
	if (!rc && iban_raw[0] && !permit_iban_norm(iban_raw, iban))
		rc = integ_refuse(err, "invalid", "'iban' is not a valid IBAN");
	if (rc)
		goto out;
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s*}", "type", type, "name", name,
			"postcode", postcode, "number", house, "kenteken", kenteken, "email", email,
			"iban", iban[0] ? iban : NULL);
	data = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	snprintf(r.kind, sizeof(r.kind), "permit");
	snprintf(r.status, sizeof(r.status), "requested");
	snprintf(r.key, sizeof(r.key), "%s", type);
	r.data = data;
	r.created_at = c->now;
	snprintf(uniq, sizeof(uniq), "%s|%s", type, kenteken);
	for (int i = 0; i < PERMIT_TRIES; i++) {
		integ_ref_new("PV", r.ref);
		rc = store_record_add(c->st, c->bot, &r, uniq, err);
		if (rc != LK_EBUSY)
			break;
	}
	if (rc == LK_EEXIST)
		rc = integ_refuse(err, "exists", "licence plate %s has a %s already", kenteken,
				  type);
	if (!rc)
		*out = json_pack("{s:s, s:s, s:s, s:s}", "reference", r.ref, "type", type,
				 "type_label", integ_label(c, t), "kenteken", kenteken);
out:
	json_decref(t);
	free(name);
	free(email);
	free(data);
	return rc;
}
