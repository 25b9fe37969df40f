/* fuzz_text_parse.c - libFuzzer target for the slot parsers: arbitrary bytes
 * go through every parser in src/text/text_parse*; none may crash, and every
 * output must be NUL-terminated within its size and well formed. Not built by
 * meson; build and run from the repo root with tests/fuzz/run.sh 60 text_parse
 * fuzz-sources: src/core/mem.c src/core/err.c src/core/clock.c src/text/text_stopwords.c src/text/text_parse.c src/text/text_parse_answer.c src/text/text_parse_date.c src/text/text_parse_ids.c
 */
#include "core/mem.h"
#include "text/text_parse.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_nul_within(const char *out, size_t size)
{
	if (!memchr(out, '\0', size))
		abort();
}

static void fuzz_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			abort();
	}
}

/* The two digits at s as a number. */
static int fuzz_two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static void fuzz_span(size_t start, size_t end, size_t len)
{
	if (start >= end || end > len)
		abort();
}

static const char *const fuzz_l0[] = { "paspoort", "passport" };
static const char *const fuzz_l1[] = { "rijbewijs", "driving licence", "rijbewijs aanvragen" };
static const char *const fuzz_l2[] = { "rijbewijs verlengen", "id-kaart" };
static const struct text_choice fuzz_opts[] = {
	{ "paspoort", fuzz_l0, 2 },
	{ "rijbewijs", fuzz_l1, 3 },
	{ NULL, fuzz_l2, 2 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text_house_number h;
	char *t = xmalloc(size + 1);
	char out[300], pc[7], bsn[10];
	size_t start, end, len, small = size % 40;
	int r;

	memcpy(t, data, size);
	t[size] = '\0';
	len = strlen(t);

	/* Dates against a few todays (the first bytes pick one). */
	r = text_parse_date(t, 2000 + (int)(size % 60), 1 + (int)(size % 12), 1 + (int)(size % 28),
			    out, &start, &end);
	fuzz_nul_within(out, 11);
	if (r) {
		if (strlen(out) != 10 || out[4] != '-' || out[7] != '-')
			abort();
		fuzz_span(start, end, len);
	} else if (out[0]) {
		abort();
	}
	r = text_parse_time(t, (int)(size & 1), out, &start, &end);
	fuzz_nul_within(out, 6);
	if (r) {
		if (strlen(out) != 5 || out[2] != ':')
			abort();
		fuzz_digits(out, 2);
		fuzz_digits(out + 3, 2);
		if (fuzz_two(out) > 23 || fuzz_two(out + 3) > 59)
			abort();
		fuzz_span(start, end, len);
	}

	r = text_parse_postcode(t, pc);
	fuzz_nul_within(pc, sizeof(pc));
	if (r && (strlen(pc) != 6 || pc[0] == '0'))
		abort();
	r = text_parse_house_number(t, &h);
	fuzz_nul_within(h.letter, sizeof(h.letter));
	fuzz_nul_within(h.addition, sizeof(h.addition));
	if (r && (h.number < 1 || h.number > 99999))
		abort();
	r = text_parse_bsn(t, bsn);
	fuzz_nul_within(bsn, sizeof(bsn));
	if (r) {
		if (strlen(bsn) != 9)
			abort();
		fuzz_digits(bsn, 9);
	}

	/* String outputs, once in a roomy buffer and once in a small one. */
	r = text_parse_email(t, out, sizeof(out));
	fuzz_nul_within(out, sizeof(out));
	if (r && (strlen(out) > 254 || !strchr(out, '@')))
		abort();
	r = text_parse_email(t, out, small);
	if (small)
		fuzz_nul_within(out, small);
	r = text_parse_phone_nl(t, out, sizeof(out));
	fuzz_nul_within(out, sizeof(out));
	if (r) {
		if (strncmp(out, "+31", 3) != 0 || strlen(out) < 10 || strlen(out) > 13)
			abort();
		fuzz_digits(out + 1, strlen(out) - 1);
	}
	r = text_parse_phone_nl(t, out, small);
	if (small)
		fuzz_nul_within(out, small);
	r = text_parse_iban(t, out, sizeof(out));
	fuzz_nul_within(out, sizeof(out));
	if (r && (strlen(out) < 15 || strlen(out) > 34))
		abort();
	r = text_parse_iban(t, out, small);
	if (small)
		fuzz_nul_within(out, small);
	r = text_parse_kenteken(t, out, sizeof(out));
	fuzz_nul_within(out, sizeof(out));
	if (r && strlen(out) != 8)
		abort();
	r = text_parse_kenteken(t, out, small);
	if (small)
		fuzz_nul_within(out, small);

	r = text_parse_yes_no(t);
	if (r < -1 || r > 1)
		abort();
	r = text_parse_choice(t, fuzz_opts, 3);
	if (r < -1 || r > 2)
		abort();
	r = (int)text_parse_command(t);
	if (r < TEXT_CMD_NONE || r > TEXT_CMD_RESTART)
		abort();
	free(t);
	return 0;
}
