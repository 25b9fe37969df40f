/* text_stem.h - Dutch stemming for matching: the Snowball "dutch" stemmer
 * (libstemmer) followed by our own rules for the verb and noun inflection it
 * leaves apart, so that "verkoopt", "verkopen" and "verkocht" or "reist" and
 * "reizen" give the same key.
 *
 * Our rules, applied to Snowball's output: strip trailing -t/-d (present
 * tense, past tense, participles), single out double vowels (verkoop ->
 * verkop), undouble a final consonant (invull -> invul) and unvoice a final
 * z/v (reiz -> reis, gev -> gef). Before Snowball, strong and irregular verb
 * forms are mapped to their infinitive ("kocht" -> "kopen"), also behind a
 * verb prefix ("aangeboden" -> "aanbieden").
 *
 * A key is for comparing, not for showing: it need not be a Dutch word.
 * Input must be folded (text_norm_fold) and at most TEXT_TOKEN_MAX bytes.
 *
 * Thread safety: a text_stemmer is NOT thread-safe (libstemmer keeps state);
 * use one per thread or per call. The functions without a stemmer are pure.
 */
#ifndef LK_TEXT_STEM_H
#define LK_TEXT_STEM_H

#include <stddef.h>

/* Size of the output buffer every function here needs. */
#define TEXT_STEM_MAX 160

struct text_stemmer;

/* --- lifecycle --- */
/* Caller frees with text_stemmer_free(). Returns NULL only if libstemmer
 * lacks the Dutch algorithm. */
struct text_stemmer *text_stemmer_new(void);
void text_stemmer_free(struct text_stemmer *st);

/* --- stemming --- */
/* Writes the key of w[0..len) to out (TEXT_STEM_MAX bytes, NUL-terminated)
 * and returns its length (0 only for an empty word). Numbers are kept. */
size_t text_stem(struct text_stemmer *st, const char *w, size_t len, char *out);

/* If w looks like a weak past participle with "ge" ("gevraagd",
 * "aangevraagd", "ingevuld"), writes the key of the word without the "ge"
 * ("vrag", "anvrag", "invul") and returns its length; otherwise returns 0.
 * The look is only a guess ("gezond" qualifies too): callers should use the
 * result only if that key is known from other words. */
size_t text_stem_participle(struct text_stemmer *st, const char *w, size_t len, char *out);

/* Applies only our rules to an existing stem (used by tests). */
size_t text_stem_normalise(const char *stem, size_t len, char *out);

#endif
