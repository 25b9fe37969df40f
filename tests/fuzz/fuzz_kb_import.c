// fuzz_kb_import.c - libFuzzer target for knowledge-base import: the first
// byte picks the format (mod 4: JSONL, CSV, Markdown, HTML), the rest is the
// file. Checks that a failed import adds nothing and every entry is bounded.
// fuzz-sources: src/core/*.c src/kb/kb_entry.c src/kb/kb_import*.c
// Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc
//   tests/fuzz/fuzz_kb_import.c src/core/*.c src/kb/kb_entry.c src/kb/kb_import*.c
//   $(pkg-config --cflags --libs jansson libxml-2.0 libutf8proc libcrypto yaml-0.1)
// Run: tests/fuzz/run.sh 60 kb_import   (all targets: tests/fuzz/run.sh 60)
#include "kb/kb_import.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum kb_format fuzz_formats[] = {
	KB_FORMAT_JSONL,
	KB_FORMAT_CSV,
	KB_FORMAT_MARKDOWN,
	KB_FORMAT_HTML,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kb_entries l;
	struct lk_err err;
	enum kb_format fmt;
	int rc;

	if (size < 1)
		return 0;
	fmt = fuzz_formats[data[0] % 4];
	kb_entries_init(&l);
	rc = kb_import_buffer("fuzz.in", fmt, (const char *)data + 1, size - 1, &l, &err);
	if (rc != 0 && l.n != 0)
		abort(); /* a failed import must add nothing */
	for (size_t i = 0; i < l.n; i++) {
		const struct kb_entry *e = &l.v[i];

		if (!e->id || !e->answer || strlen(e->id) > 256 || strlen(e->answer) > 65536)
			abort();
	}
	kb_entries_release(&l);
	return 0;
}
