/* llm_prompt.h - the messages Loket sends a language model for a grounded
 * answer: the bot's instructions (system), the conversation so far, and one
 * final user message with the numbered passages and the question.
 *
 * Everything that comes from outside (passages, the citizen's words, earlier
 * turns) goes in as data between markers the model is told to treat as data,
 * never as the system message; text that would open or close those markers
 * is neutralised first, so a passage or a message saying "ignore previous
 * instructions" cannot end the data block and speak as Loket. Whatever the
 * model then writes is checked by llm_cite before anyone sees it.
 *
 * The final user message looks like this (the fake servers in the tests
 * read it):
 *     <bronnen>
 *     <bron nummer="1" titel="Paspoort aanvragen">
 *     passage text
 *     </bron>
 *     ...
 *     </bronnen>
 *     <vraag>
 *     the question
 *     </vraag>
 */
#ifndef LK_LLM_PROMPT_H
#define LK_LLM_PROMPT_H

#include "core/buf.h"

#include <jansson.h>
#include <stddef.h>

#define LLM_PROMPT_PASSAGE_MAX 2400 /* bytes of one passage given to the model */
#define LLM_PROMPT_TURN_MAX 800     /* bytes of one earlier turn */

struct llm_passage {
	const char *title;
	const char *text;
};

struct llm_turn {
	const char *role; /* "user" or "assistant" */
	const char *text;
};

/* A new "messages" array (caller json_decref). system_text is the bot's own
 * instruction text (from its message catalogue, placeholders filled). */
json_t *llm_prompt_rag(const char *system_text, const struct llm_turn *history,
		       size_t n_history, const struct llm_passage *passages, size_t n_passages,
		       const char *question);

/* 1 when text carries instructions meant for a language model ("ignore
 * previous instructions", "negeer alle vorige instructies", "you are now",
 * "system prompt", chat-template tokens such as "<|im_start|>"), in Dutch
 * or English, any case. A knowledge-base passage that does is never given
 * to the model. */
int llm_prompt_injection(const char *text);

/* Appends `in` (at most max bytes, cut at a character boundary) to out with
 * every "<" that starts one of the prompt's markers (bron, bronnen, vraag,
 * in any case, opening or closing) replaced by "‹", C0 control characters
 * other than newline and tab turned into a space, and C1 control characters
 * and invalid UTF-8 dropped. */
void llm_prompt_sanitize(const char *in, size_t max, struct buf *out);

#endif
