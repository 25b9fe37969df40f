/* llm_prompt.c - building the messages of a grounded answer (see
 * llm_prompt.h).
 */
#include "llm/llm_prompt.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* Phrases that address a language model rather than a citizen. */
static const char injection_pattern[] =
	"(?:ignore|disregard|forget|override)\\s+(?:all\\s+|any\\s+|the\\s+|your\\s+)*"
	"(?:previous|prior|above|earlier|preceding|system)\\s+(?:instructions?|prompts?|rules|messages?)"
	"|(?:negeer|vergeet|overschrijf)\\s+(?:alle\\s+|de\\s+|je\\s+|jouw\\s+|uw\\s+)*"
	"(?:vorige|eerdere|bovenstaande|voorgaande)\\s+(?:instructies|opdrachten|regels|berichten)"
	"|\\b(?:from\\s+now\\s+on\\s+you\\s+(?:are|will|must)|vanaf\\s+nu\\s+ben\\s+je)\\b"
	"|\\b(?:system\\s*prompt|systeem\\s*prompt|new\\s+instructions|nieuwe\\s+instructies)\\b"
	"|<\\|(?:im_start|im_end|system|user|assistant|eot_id|start_header_id)\\|>"
	"|\\[/?INST\\]|<</?SYS>>|^\\s*#{2,}\\s*(?:instruction|system)";

static pcre2_code *injection_re;
static pthread_once_t injection_once = PTHREAD_ONCE_INIT;

static void injection_compile(void)
{
	int code;
	PCRE2_SIZE off;

	/* JIT-compiled below: this runs on every passage of every question */
	injection_re = pcre2_compile((PCRE2_SPTR)injection_pattern, PCRE2_ZERO_TERMINATED,
				     PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE |
					     PCRE2_MATCH_INVALID_UTF,
				     &code, &off, NULL);
	if (injection_re)
		pcre2_jit_compile(injection_re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
}

int llm_prompt_injection(const char *text)
{
	pcre2_match_data *md;
	int rc;

	pthread_once(&injection_once, injection_compile);
	if (!injection_re || !text)
		return 0;
	md = pcre2_match_data_create_from_pattern(injection_re, NULL);
	rc = pcre2_match(injection_re, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

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

	for (size_t i = 0; i < n;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)in + i,
						      (utf8proc_ssize_t)(n - i), &cp);

		if (k < 1) {
			i++; /* invalid UTF-8 is dropped: jansson refuses it */
			continue;
		}
		if (cp == '<' && is_marker(in + i + 1))
			buf_adds(out, "\xE2\x80\xB9"); /* U+2039 */
		else if (cp < 0x20 && cp != '\n' && cp != '\t')
			buf_addc(out, ' ');
		else if (cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
			; /* DEL and C1 controls are dropped */
		else
			buf_add(out, in + i, (size_t)k);
		i += (size_t)k;
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
		const char *role = history[i].role && !strcmp(history[i].role, "assistant")
					   ? "assistant" : "user";

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
	llm_prompt_sanitize(question ? question : "", LLM_PROMPT_TURN_MAX * 5, &b);
	buf_adds(&b, "\n</vraag>");
	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", b.ptr));
	buf_release(&b);
	return msgs;
}
