/* text_parse.h - typed slot values from what citizens type: dates, times,
 * postcodes, house numbers, BSN, e-mail, phone numbers, IBAN, licence plates,
 * yes/no, a choice among options and the stop/back/restart commands of a
 * guided conversation. Dutch first (B1), English alongside.
 *
 * Invariants shared by every parser:
 * - Each one SEARCHES the whole message: "ik wil volgende dinsdag om half vier
 *   komen" holds a date and a time. When a message holds more than one value
 *   of a kind, the leftmost wins (at the same start, the longest form), unless
 *   a parser says otherwise below.
 * - Matching is case- and accent-insensitive: text is folded per code point
 *   with utf8proc (NFKC, case folding, marks stripped, Unicode quotes, dashes
 *   and spaces lumped to ASCII), so "Één", "oké" and fullwidth digits work.
 *   Bytes that are not valid UTF-8 count as a space. Spans are byte offsets in
 *   the caller's text, never in the folded copy.
 * - Bounded: text longer than TEXT_PARSE_MAX_INPUT bytes (or NULL) is refused
 *   as a whole (no match), so a parser never reads or allocates beyond a fixed
 *   bound. Nothing crashes on malformed input.
 * - Pure and thread-safe: no global state; the tables are const.
 * - Outputs are always NUL-terminated within their size; on no match a string
 *   output is "" (when its size is at least 1) and a struct output is zeroed.
 */
#ifndef LK_TEXT_PARSE_H
#define LK_TEXT_PARSE_H

#include <stddef.h>

#define TEXT_PARSE_MAX_INPUT 4096

/* --- dates and times --- */

/* Finds a date. today_y/m/d is the caller's current local date (tests pass
 * fixed dates); an invalid today gives no match. Writes "YYYY-MM-DD" to out
 * (at least 11 bytes; may be NULL) and the byte span [*start, *end) of the
 * match in text (either pointer may be NULL). Returns 1, or 0 when there is no
 * date.
 *
 * Understood, Dutch: vandaag, morgen (also morgenochtend/-middag/-avond, but
 * not "goede morgen" or "de morgen"), overmorgen, gisteren, eergisteren,
 * vanochtend/vanmiddag/vanavond; "dinsdag", "aanstaande/komende/deze/volgende
 * dinsdag", "volgende week dinsdag" and "dinsdag volgende week"; "over 3
 * dagen", "over twee weken", "over een maand" (also jaar); "3 maart", "3 maart
 * 2027", "maandag 3 maart", "drie maart"; numeric "3-3", "3/3", "03-03-2026",
 * "3/3/26", "3.3.2026", ISO "2026-03-03". English: today, tomorrow, the day
 * after tomorrow, yesterday, tonight; "tuesday", "on/this/next tuesday", "next
 * week tuesday"; "in 3 days", "in two weeks", "in a month"; "March 3", "March
 * 3rd, 2027", "3 March", "the 3rd of March". Written numbers two..twelve /
 * twee..twaalf are read before a month name and one..twelve / een..twaalf in
 * "over/in N ...".
 *
 * How ambiguous cases are decided:
 * - A weekday alone, or with aanstaande/komende/deze/volgende/on/this/next,
 *   means the first such day AFTER today (today excluded: said on a Tuesday,
 *   "dinsdag" is a week later). "volgende week dinsdag" / "next week tuesday"
 *   is the Tuesday of the next Monday-to-Sunday week.
 * - Numeric dates are always day first, in English too ("3/4" is 3 April);
 *   month-first US dates are not understood. ISO year-month-day is always
 *   recognised. Day-month with dots needs a year ("15.30" is a time).
 * - A two-digit year is put in the century that places it within 80 years
 *   before and 20 years after today ("3/3/26" is 2026, "3/3/61" is 1961).
 * - A date without a year that is before today means next year; 29 February
 *   without a year is the next 29 February that exists.
 * - An explicit date wins over a weekday next to it ("maandag 3 maart" is 3
 *   March even when that is not a Monday); the span covers both.
 * - Explicit years run 1900..2199; invalid dates (31 februari) are no match.
 * - Month name first ("March 3") only for English month names.
 */
int text_parse_date(const char *text, int today_y, int today_m, int today_d, char *out,
		    size_t *start, size_t *end);

/* Finds a time of day and writes "HH:MM" (out at least 6 bytes; may be NULL),
 * with the byte span as for text_parse_date. Returns 1 or 0.
 *
 * Understood: "15:30", "15.30", "15u30", "15h30", "15u", "15 uur", "om 3",
 * "om 3 uur", "at 3", "3 o'clock", "half vier" (3:30), "half 4", "kwart over
 * drie", "kwart voor vier", "tien over half vier", "vijf voor half vier",
 * "twintig over drie", "half past three", "quarter past three", "quarter to
 * four", "ten past three", "3 pm", "3:30 p.m.", "noon", "middernacht",
 * followed optionally by a part of the day: "'s ochtends/'s morgens/
 * 's middags/'s avonds/'s nachts" (also without the apostrophe), "in de
 * ochtend/middag/avond", "in the morning/afternoon/evening", "am"/"pm".
 *
 * How ambiguous cases are decided:
 * - A part of the day or am/pm decides: "3 uur 's middags" is 15:00, "12 uur
 *   's nachts" and "12 am" are 00:00, "12 pm" is 12:00.
 * - Otherwise, when office_hours is 1, an hour 1..7 written without a leading
 *   zero (digits or words: "3:30", "om 3 uur", "half vier") means the
 *   afternoon, 13..19. "03:30" and 24-hour times are taken as written.
 * - "half vier" is Dutch (3:30); "half past four" is English (4:30).
 * - "N uur" after over/binnen/in/within/for is a duration, not a time.
 * - Invalid times (25:00, 24:00, 12:60) are no match.
 */
int text_parse_time(const char *text, int office_hours, char *out, size_t *start, size_t *end);

/* --- addresses --- */

/* Finds a Dutch postcode: four digits (the first 1..9), an optional space
 * and two letters, in any case; writes "1234AB" (may be NULL). The series SA,
 * SD and SS are never issued and give no match. With a space between, two
 * letters that spell a common short word in lower case ("1990 in", "200 en")
 * are not taken for a postcode; "1990 IN" and "1990in" are. Returns 1 or 0. */
int text_parse_postcode(const char *text, char out[7]);

/* A house number as the BAG keeps it: number 1..99999, an optional house
 * letter and an optional addition (huisnummertoevoeging) of up to four
 * letters or digits. letter and addition are upper-case and "" when absent. */
struct text_house_number {
	unsigned number;
	char letter[2];
	char addition[5];
};

/* Finds a house number: "12", "12a", "12 A", "12-2", "12-hs", "12 bis",
 * "12 II", "nr 12", "12a-1". Returns 1 and fills out (may be NULL), or 0.
 *
 * Which number, in this order:
 * 1. With a postcode in the text, the number right after it ("1234 AB 12",
 *    "1234AB, nr 12").
 * 2. A number after "nr", "nummer", "huisnummer", "number", "no" or "#".
 * 3. A number after a street-like word ("Kerkstraat 12", "Dorpsweg 4").
 * 4. Else the first number that stands alone: not part of a postcode, date,
 *    time, amount or longer digit group ("15:30", "3-3-2026", "1.000").
 * A single letter after a space ("12 A") counts as the house letter only when
 * no word follows it ("12 a in Utrecht" is 12); the words bis, hs, hg, bg, zw,
 * rd and Roman numerals II..IX after a space are additions. Leading zeros
 * ("012") are refused. */
int text_parse_house_number(const char *text, struct text_house_number *out);

/* --- identifiers --- */

/* Finds a BSN (burgerservicenummer): nine digits, groups separated by single
 * spaces, dots or dashes allowed ("123 456 782", "123.456.782"); eight
 * digits written without separators get a leading 0. Must pass the elfproef
 * (9*d1 + 8*d2 + ... + 2*d8 - 1*d9 = 0 mod 11); 000000000 is refused. A digit
 * group that is part of something longer (a phone number, an IBAN, a word)
 * is not taken; of space-separated groups that together are too long, one
 * group of exactly nine digits is still found. Writes the 9 digits (out may
 * be NULL). Returns 1 or 0. */
int text_parse_bsn(const char *text, char out[10]);

/* Finds an e-mail address: local part of [A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]
 * (1..64, no leading, trailing or double dots), "@", a domain of at least two
 * labels [A-Za-z0-9-]{1,63} that neither start nor end with '-', a TLD of at
 * least two letters, 254 bytes in all. A trailing sentence dot is not part of
 * the address; leading dots, quotes and backticks are dropped. The local part
 * keeps its case; the domain is lower-cased. Non-ASCII addresses (IDN,
 * EAI) are not recognised. Writes to out[size]; an address that does not fit
 * is no match. Returns 1 or 0. */
int text_parse_email(const char *text, char *out, size_t size);

/* Finds a Dutch phone number and writes it as E.164 ("+31612345678") to
 * out[size] (at least 14 bytes to fit every form). Accepts 06-12345678,
 * 06 1234 5678, +31 6 12345678, 0031612345678, +31 (0)6 12345678, (020)
 * 123 4567, landlines with any area code (010-1234567, 0111-123456), 085/088
 * (and 084/087) numbers, 0800/0900/0906/0909 with 4..7 digits after.
 * Separators: spaces, dashes, dots, slashes and parentheses. Mobile numbers
 * are 061..065 and 068. Foreign numbers, wrong lengths (06-1234567) and
 * numbers not starting with 0, 0031 or +31 are no match. When digits follow
 * a valid number after a separator ("06 12345678 9"), the longest valid
 * leading part at a separator is taken. Returns 1 or 0. */
int text_parse_phone_nl(const char *text, char *out, size_t size);

/* Finds an IBAN of any country in the ISO 13616 register (all SEPA countries
 * and most others), with or without single spaces, in any case: the length
 * must be the country's, the check digits 02..98 and the whole mod 97 == 1; a
 * Dutch IBAN must have a four-letter bank code and ten digits. Writes it
 * upper-case without spaces to out[size] (at least 35 bytes for every
 * country). Returns 1 or 0. */
int text_parse_iban(const char *text, char *out, size_t size);

/* Finds a Dutch licence plate (kenteken) in any sidecode 1..14 (L a letter,
 * 9 a digit: LL-99-99, 99-99-LL, 99-LL-99, LL-99-LL, LL-LL-99, 99-LL-LL,
 * 99-LLL-9, 9-LLL-99, LL-999-L, L-999-LL, LLL-99-L, L-99-LLL, 9-LL-999,
 * 999-LL-9), written with
 * all the dashes of the sidecode or with none; writes the dashed canonical
 * form upper-case ("AB-12-CD") to out[size] (at least 9 bytes). Letters are
 * not checked against the RDW series. Six characters without dashes are
 * ambiguous with a postcode ("1234AB" reads as sidecode 2, 12-34-AB); the
 * caller asks for one or the other. Returns 1 or 0. */
int text_parse_kenteken(const char *text, char *out, size_t size);

/* --- answers and commands --- */

/* Yes or no, from the meaning of the whole message, in Dutch and English.
 * Returns 1 (yes: ja, jazeker, klopt, dat klopt, prima, goed, oké, yes, yep,
 * sure, correct, 👍...), 0 (no: nee, neen, niet, klopt niet, niet goed,
 * liever niet, no, nope, not really, 👎...) or -1 (neither, or unsure).
 *
 * How it decides: "strong" words (ja, jawel, yes, nee, no, nope...) outweigh
 * "weak" ones (klopt, goed, prima, correct, sure...); a negation within two
 * words turns a weak yes into a no ("nee dat klopt niet", "niet helemaal
 * juist"); "geen probleem"/"no problem" is yes. Both strong yes and strong no,
 * or a strong word against the weak ones ("ja, dat klopt niet"), is -1; so are
 * doubt (misschien, weet ik niet, geen idee, maybe, not sure) and a message
 * that is mostly about something else ("ik wil graag een paspoort") unless it
 * opens with a strong word ("ja, en ..."). */
int text_parse_yes_no(const char *text);

/* One option of a choice: value (an identifier, may be NULL) and its labels
 * and synonyms in any language (may be NULL when n_labels is 0). Borrowed. */
struct text_choice {
	const char *value;
	const char *const *labels;
	size_t n_labels;
};

#define TEXT_CHOICE_MAX 64

/* Picks one of options[0..n) (n at most TEXT_CHOICE_MAX). Returns its index,
 * or -1 when none matches or two match equally.
 *
 * Matches, strongest first; the first level at which anything matches
 * decides, and more than one option at that level is -1:
 * 1. the value, a label or a synonym anywhere as whole words (folded). Of
 *    overlapping matches the longer one wins ("rijbewijs verlengen" beats
 *    "rijbewijs"); two options named apart ("paspoort of rijbewijs") is -1.
 * 2. the option's number: the whole message "2" or "twee", or anywhere "de
 *    tweede", "2e", "nummer 2", "optie 2", "second", "2nd", "number 2",
 *    "option two"; "de laatste"/"the last" is the last option.
 * 3. a word of at least 4 characters that starts a label word ("paspo").
 * 4. one typo (Damerau-Levenshtein distance 1) in a word of 5+ characters.
 * Levels 3 and 4 ignore stopwords ("voor", "maar") in the message. Negation
 * ("niet de eerste") is not understood. */
int text_parse_choice(const char *text, const struct text_choice *options, size_t n);

enum text_cmd { TEXT_CMD_NONE, TEXT_CMD_CANCEL, TEXT_CMD_BACK, TEXT_CMD_RESTART };

/* A stop/back/restart command of a guided conversation, as the whole message
 * only (punctuation, "graag", "alsjeblieft", "please" and a leading "ok"/"nee"
 * aside): "stop", "stoppen", "annuleer", "annuleren", "ik wil stoppen",
 * "cancel", "quit" -> TEXT_CMD_CANCEL; "terug", "vorige", "ga terug", "back",
 * "go back" -> TEXT_CMD_BACK; "opnieuw", "begin opnieuw", "start over",
 * "restart" -> TEXT_CMD_RESTART; anything else TEXT_CMD_NONE ("ik wil terug
 * naar Nederland" is not a command). */
enum text_cmd text_parse_command(const char *text);

#endif
