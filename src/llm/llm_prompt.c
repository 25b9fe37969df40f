/* llm_prompt.c - building the messages of a grounded answer (see
 * llm_prompt.h).
 */
#include "llm/llm_prompt.h"

#include <string.h>
#include <strings.h>

static const char *const markers[] = {"bronnen", "bron", "vraag", NULL};

/* Does s (just after a '<') start one of our markers, e.g. "bron", "/bron"? */
static int is_marker(const char *s)
{
	while (*s == ' ')
		s++;
	if (*s == '/')
		s++;
	for (const char *const *m = markers; *m; m++)
		if (!strncasecmp(s, *m, strlen(*m)))
			return 1;
	return 0;
}

/* Length of the longest prefix of s (at most max bytes) that ends on a
 * character boundary. */
static size_t utf8_prefix(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

void llm_prompt_sanitize(const char *in, size_t max, struct buf *out)
{
	size_t n = utf8_prefix(in, max);

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '<' && is_marker(in + i + 1))
			buf_adds(out, "\xE2\x80\xB9"); /* U+2039 */
		else if (ch < 0x20 && ch != '\n' && ch != '\t')
			buf_addc(out, ' ');
		else if (ch == 0x7F)
			continue;
		else
			buf_addc(out, (char)ch);
	}
}

/* Titles go inside an attribute: no quotes, no newlines. */
static void add_title(struct buf *out, const char *title)
{
	struct buf t;

	buf_init(&t, 1024);
	llm_prompt_sanitize(title ? title : "", 200, &t);
	for (size_t i = 0; i < t.len; i++) {
		char ch = t.ptr[i];

		buf_addc(out, ch == '"' ? '\'' : (ch == '\n' || ch == '\t') ? ' ' : ch);
	}
	buf_release(&t);
}

json_t *llm_prompt_rag(const char *system_text, const struct llm_turn *history,
		       size_t n_history, const struct llm_passage *passages, size_t n_passages,
		       const char *question)
{
	json_t *msgs = json_array();
	struct buf b;

	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content",
					      system_text));
	buf_init(&b, (size_t)1 << 20);
	for (size_t i = 0; i < n_history; i++) {
		const char *role = strcmp(history[i].role, "assistant") ? "user" : "assistant";

		buf_reset(&b);
		llm_prompt_sanitize(history[i].text ? history[i].text : "", LLM_PROMPT_TURN_MAX, &b);
		if (!b.len)
			continue;
		json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", role, "content", b.ptr));
	}
	buf_reset(&b);
	buf_adds(&b, "<bronnen>\n");
	for (size_t i = 0; i < n_passages; i++) {
		buf_addf(&b, "<bron nummer=\"%zu\" titel=\"", i + 1);
		add_title(&b, passages[i].title);
		buf_adds(&b, "\">\n");
		llm_prompt_sanitize(passages[i].text ? passages[i].text : "", LLM_PROMPT_PASSAGE_MAX,
				    &b);
		buf_adds(&b, "\n</bron>\n");
	}
	buf_adds(&b, "</bronnen>\n<vraag>\n");
	llm_prompt_sanitize(question, LLM_PROMPT_TURN_MAX * 5, &b);
	buf_adds(&b, "\n</vraag>");
	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", b.ptr));
	buf_release(&b);
	return msgs;
}
