/* bench_texts.h - what the load benchmarks send as citizens' messages: realistic Dutch questions
 * to a municipality and a few greetings (bench/http/loadgen.c, bench/webhook/bench_webhook.c).
 */
#ifndef BENCH_TEXTS_H
#define BENCH_TEXTS_H

#include <stddef.h>

extern const char *const bench_questions[];
extern const size_t bench_n_questions;

#endif
