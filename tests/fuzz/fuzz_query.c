/* fuzz_query.c - libFuzzer target for query handling: arbitrary bytes are
 * folded, tokenised and searched against a small fixed index, and a snippet
 * is cut for the top hit. Not built by meson; build and run from the repo root:
 * fuzz-sources: src/core/buf.c src/core/clock.c src/core/err.c src/core/mem.c src/text/*.c src/kb/kb_entry.c src/kb/kb_index.c src/kb/kb_index_query.c src/kb/kb_index_snippet.c src/kb/kb_synonyms.c
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     tests/fuzz/fuzz_query.c src/core/buf.c src/core/err.c src/core/mem.c \
 *     src/text/text_dict.c src/text/text_norm.c src/text/text_stem.c \
 *     src/text/text_stopwords.c src/text/text_token.c src/kb/kb_entry.c \
 *     src/kb/kb_index.c src/kb/kb_index_query.c src/kb/kb_index_snippet.c \
 *     src/kb/kb_synonyms.c -lutf8proc -lstemmer -lcrypto -lm -o fuzz_query
 *   ./fuzz_query -max_total_time=60 tests/fuzz/corpus/query
 */
#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_index.h"
#include "kb/kb_synonyms.h"
#include "text/text_norm.h"
#include "text/text_token.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_docs[][2] = {
	{ "Hoe vraag ik een paspoort aan?", "U vraagt een paspoort aan bij de gemeente.\n\n"
					     "Kosten\n\nEen paspoort kost 84 euro. Neem een pasfoto mee." },
	{ "Rijbewijs verlengen", "Uw rijbewijs verlengt u bij de gemeente waar u woont." },
	{ NULL, "Overheidspost ontvangt u in de Berichtenbox. Post van de overheid is digitaal." },
	{ "Grofvuil", "U kunt grofvuil laten ophalen; maak een afspraak met de gemeente!" },
	{ NULL, "Als u uw auto verkoopt, schrijft u het kenteken over bij de RDW." },
};

static struct kb_index *fuzz_ix;

static void fuzz_token(void *ctx, const struct text_token *tok)
{
	size_t *n = ctx;

	if (tok->len == 0 || tok->len > TEXT_TOKEN_MAX)
		abort();
	*n += tok->len;
}

static void fuzz_init(void)
{
	const char *syn_text = "id-kaart, identiteitskaart\npost van de overheid, overheidspost\n";
	struct kb_synonyms *syn = NULL;
	struct kb_entries l;

	kb_entries_init(&l);
	for (size_t i = 0; i < sizeof(fuzz_docs) / sizeof(fuzz_docs[0]); i++) {
		struct kb_entry e;
		char id[16];

		kb_entry_init(&e);
		id[0] = (char)('a' + i);
		id[1] = '\0';
		e.id = xstrdup(id);
		e.question = xstrdup(fuzz_docs[i][0]);
		e.answer = xstrdup(fuzz_docs[i][1]);
		kb_entries_push(&l, &e);
	}
	if (kb_synonyms_parse(&syn, "fuzz", syn_text, strlen(syn_text), NULL) ||
	    kb_index_build(&fuzz_ix, &l, syn, NULL))
		abort();
	kb_synonyms_free(syn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kb_result r;
	struct buf b;
	char *q;
	size_t n = 0;

	if (!fuzz_ix)
		fuzz_init();
	q = xmalloc(size + 1);
	memcpy(q, data, size);
	q[size] = '\0';
	buf_init(&b, 0);
	if (text_norm_fold((const char *)data, size, &b) == 0)
		text_token_each(b.ptr, b.len, fuzz_token, &n);
	buf_reset(&b);
	kb_index_search(fuzz_ix, q, NULL, KB_MAX_HITS, &r);
	if (r.n > KB_MAX_HITS || r.confidence < 0.0 || r.confidence > 1.0)
		abort();
	if (r.n && kb_index_snippet(fuzz_ix, r.hits[0].doc, q, 1 + size % 200, &b))
		abort();
	buf_release(&b);
	free(q);
	return 0;
}
