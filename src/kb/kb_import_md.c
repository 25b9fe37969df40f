/* kb_import_md.c - Markdown knowledge bases: every #, ## or ### heading starts
 * an entry whose question and title are the heading text and whose answer is
 * the plain text of the section, up to the next heading of any of those
 * levels. Text before the first heading and empty sections are skipped; an
 * optional front matter (---, url: ..., lang: ..., ---) gives url and lang.
 * Supported: ATX headings, paragraphs, lists, block quotes, fenced code,
 * emphasis, code spans, links and images; not: setext headings, tables (kept
 * as lines of text), nested block structure beyond list lines.
 */
#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_import_int.h"

#include <stdlib.h>
#include <string.h>

/* The parser's state: where it is, front matter defaults, the open section. */
struct md {
	struct kb_import_ctx *c;
	const char *p;
	size_t len, pos;
	long line;          /* line number of the current line */
	char *url, *lang;   /* from front matter; owned */
	char *heading;      /* the open section's heading text; owned */
	long heading_line;
	struct kb_text text; /* the open section's answer */
	char fence;         /* '`' or '~' inside a fenced block, else 0 */
};

/* One line without its line break. */
struct md_line {
	const char *s;
	size_t n;
};

static int md_next_line(struct md *m, struct md_line *l)
{
	const char *nl;
	size_t end;

	if (m->pos >= m->len)
		return 0;
	nl = memchr(m->p + m->pos, '\n', m->len - m->pos);
	end = nl ? (size_t)(nl - m->p) : m->len;
	l->s = m->p + m->pos;
	l->n = end - m->pos;
	if (l->n && l->s[l->n - 1] == '\r')
		l->n--;
	m->pos = end + 1;
	m->line++;
	return 1;
}

/* Up to three leading spaces, as Markdown allows before block markers. */
static size_t md_indent(const struct md_line *l)
{
	size_t i = 0;

	while (i < l->n && i < 3 && l->s[i] == ' ')
		i++;
	return i;
}

static int md_is_blank(const struct md_line *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->s[i] != ' ' && l->s[i] != '\t')
			return 0;
	return 1;
}

static int is_word_byte(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch >= 0x80;
}

static int is_punct(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && !is_word_byte(ch);
}

static void md_inline(struct buf *b, const char *s, size_t n, int in_link);

/* At s[i] == '[': a link or image "[text](url)" / "[text][ref]". Writes the
 * text and returns the bytes used, or 0 when it is no link. */
static size_t md_link(struct buf *b, const char *s, size_t n, size_t i)
{
	const char *close = memchr(s + i, ']', n - i);
	size_t t_end, end;
	char want;

	if (!close)
		return 0;
	t_end = (size_t)(close - s);
	if (t_end + 1 >= n || (s[t_end + 1] != '(' && s[t_end + 1] != '['))
		return 0;
	want = s[t_end + 1] == '(' ? ')' : ']';
	close = memchr(s + t_end + 2, want, n - t_end - 2);
	if (!close)
		return 0;
	end = (size_t)(close - s) + 1;
	md_inline(b, s + i + 1, t_end - i - 1, 1);
	return end - i;
}

/* At s[i] == '<': an autolink "<https://...>" keeps its text, an HTML tag
 * "<br>" is dropped. Returns the bytes used, or 0 when it is neither. */
static size_t md_angle(struct buf *b, const char *s, size_t n, size_t i)
{
	const char *close = memchr(s + i, '>', n - i);
	size_t end;

	if (!close || i + 1 >= n)
		return 0;
	end = (size_t)(close - s);
	if (!memchr(s + i + 1, ' ', end - i - 1) && memchr(s + i + 1, ':', end - i - 1)) {
		buf_add(b, s + i + 1, end - i - 1);
		return end + 1 - i;
	}
	if ((s[i + 1] >= 'a' && s[i + 1] <= 'z') || (s[i + 1] >= 'A' && s[i + 1] <= 'Z') ||
	    s[i + 1] == '/')
		return end + 1 - i;
	return 0;
}

/* Appends s[0..n) to b without inline markup: emphasis and code markers,
 * link targets, HTML tags and backslash escapes are dropped. */
static void md_inline(struct buf *b, const char *s, size_t n, int in_link)
{
	size_t i = 0;

	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		size_t used = 0;

		if (ch == '\\' && i + 1 < n && is_punct((unsigned char)s[i + 1])) {
			buf_addc(b, s[i + 1]);
			i += 2;
			continue;
		}
		if (ch == '*' || ch == '`' || (ch == '~' && i + 1 < n && s[i + 1] == '~')) {
			i += ch == '~' ? 2 : 1;
			continue;
		}
		if (ch == '_' && (i == 0 || i + 1 == n || !is_word_byte((unsigned char)s[i - 1]) ||
				  !is_word_byte((unsigned char)s[i + 1]))) {
			i++;
			continue;
		}
		if (!in_link && ch == '!' && i + 1 < n && s[i + 1] == '[')
			used = md_link(b, s, n, i + 1);
		if (used) {
			i += used + 1;
			continue;
		}
		if (!in_link && ch == '[')
			used = md_link(b, s, n, i);
		else if (ch == '<')
			used = md_angle(b, s, n, i);
		if (used) {
			i += used;
			continue;
		}
		buf_addc(b, (char)ch);
		i++;
	}
}

/* Adds inline text to the section's answer. */
static void md_add_text(struct md *m, const char *s, size_t n)
{
	struct buf b;

	buf_init(&b, KB_IMPORT_MAX_FIELD + 1);
	md_inline(&b, s, n, 0);
	kb_text_add(&m->text, b.ptr, b.len);
	if (b.len == b.max)
		m->text.over = 1;
	buf_release(&b);
}

/* The heading level (1..6) of a line, and where its text starts; 0 if none. */
static int md_heading(const struct md_line *l, size_t *text)
{
	size_t i = md_indent(l);
	int level = 0;

	while (i < l->n && l->s[i] == '#' && level < 7) {
		level++;
		i++;
	}
	if (level == 0 || level > 6 || (i < l->n && l->s[i] != ' ' && l->s[i] != '\t'))
		return 0;
	*text = i;
	return level;
}

/* The heading's plain text, without the optional closing #s. Caller frees. */
static char *md_heading_text(const struct md_line *l, size_t start)
{
	size_t end = l->n;
	struct buf b;
	char *s;

	while (end > start && (l->s[end - 1] == ' ' || l->s[end - 1] == '\t'))
		end--;
	while (end > start && l->s[end - 1] == '#')
		end--;
	buf_init(&b, KB_IMPORT_MAX_FIELD + 1);
	md_inline(&b, l->s + start, end - start, 0);
	s = kb_import_strip(b.ptr, b.len);
	buf_release(&b);
	return s;
}

/* Closes the open section: an entry when it has a heading and text. */
static int md_finish(struct md *m)
{
	struct kb_entry e;
	int too_long = kb_text_too_long(&m->text);

	kb_entry_init(&e);
	e.answer = kb_text_detach(&m->text);
	if (!m->heading || !e.answer) {
		kb_entry_release(&e);
		free(m->heading);
		m->heading = NULL;
		return 0;
	}
	if (too_long) {
		kb_entry_release(&e);
		return kb_import_fail(m->c, LK_ETOOBIG, m->heading_line,
				      "section longer than %zu bytes", KB_IMPORT_MAX_FIELD);
	}
	e.id = kb_import_make_id(m->c, m->heading);
	e.question = m->heading;
	m->heading = NULL;
	e.title = xstrdup(e.question);
	e.url = xstrdup(m->url);
	e.lang = xstrdup(m->lang);
	return kb_import_add(m->c, m->heading_line, &e);
}

/* A list item marker ("- ", "* ", "+ ", "12. ", "3) "): where the item text
 * starts, and the marker to write ("- " or the number); 0 if none. */
static size_t md_list_item(const struct md_line *l, size_t i, size_t *num_end)
{
	size_t j = i;

	*num_end = 0;
	if (j < l->n && (l->s[j] == '-' || l->s[j] == '*' || l->s[j] == '+'))
		j++;
	else {
		while (j < l->n && j - i < 9 && l->s[j] >= '0' && l->s[j] <= '9')
			j++;
		if (j == i || j >= l->n || (l->s[j] != '.' && l->s[j] != ')'))
			return 0;
		*num_end = j;
		j++;
	}
	if (j < l->n && l->s[j] != ' ' && l->s[j] != '\t')
		return 0;
	return j < l->n ? j + 1 : j;
}

/* A thematic break: three or more of one of - * _ and nothing else. */
static int md_is_rule(const struct md_line *l, size_t i)
{
	char ch = i < l->n ? l->s[i] : 0;
	int count = 0;

	if (ch != '-' && ch != '*' && ch != '_')
		return 0;
	for (; i < l->n; i++) {
		if (l->s[i] == ch)
			count++;
		else if (l->s[i] != ' ' && l->s[i] != '\t')
			return 0;
	}
	return count >= 3;
}

static int md_is_fence(const struct md_line *l, size_t i, char *ch)
{
	if (i + 3 > l->n || (l->s[i] != '`' && l->s[i] != '~') || l->s[i + 1] != l->s[i] ||
	    l->s[i + 2] != l->s[i])
		return 0;
	*ch = l->s[i];
	return 1;
}

/* A line of body text: list item, quote, rule, fence or paragraph text. */
static void md_body_line(struct md *m, const struct md_line *l)
{
	size_t i = md_indent(l), start, num_end;
	char fence;

	if (md_is_blank(l)) {
		kb_text_para(&m->text);
		return;
	}
	if (md_is_fence(l, i, &fence)) {
		m->fence = fence;
		kb_text_para(&m->text);
		return;
	}
	if (md_is_rule(l, i)) {
		kb_text_para(&m->text);
		return;
	}
	while (i < l->n && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++; /* nested list items are lines like the others */
	while (i < l->n && l->s[i] == '>') {
		i++;
		while (i < l->n && l->s[i] == ' ')
			i++;
	}
	start = md_list_item(l, i, &num_end);
	if (start) {
		kb_text_line(&m->text);
		if (num_end) {
			kb_text_add(&m->text, l->s + i, num_end - i + 1);
			kb_text_space(&m->text);
		} else {
			kb_text_add_raw(&m->text, "-", 1);
			kb_text_space(&m->text);
		}
		i = start;
	} else {
		kb_text_space(&m->text);
	}
	md_add_text(m, l->s + i, l->n - i);
}

static void md_fenced_line(struct md *m, const struct md_line *l)
{
	char fence;

	if (md_is_fence(l, md_indent(l), &fence) && fence == m->fence) {
		m->fence = 0;
		kb_text_para(&m->text);
		return;
	}
	kb_text_line(&m->text);
	kb_text_add_raw(&m->text, l->s, l->n);
}

static int md_line(struct md *m, const struct md_line *l)
{
	size_t text;
	int level, rc;

	if (m->fence) {
		md_fenced_line(m, l);
		return 0;
	}
	level = md_heading(l, &text);
	if (level == 0) {
		md_body_line(m, l);
		return 0;
	}
	if (level > 3) {
		/* a minor heading is a paragraph of its section */
		kb_text_para(&m->text);
		md_add_text(m, l->s + text, l->n - text);
		kb_text_para(&m->text);
		return 0;
	}
	rc = md_finish(m);
	if (rc)
		return rc;
	m->heading = md_heading_text(l, text);
	m->heading_line = m->line;
	return 0;
}

/* "key: value" with optional quotes around the value; NULL when blank. */
static char *md_meta_value(const struct md_line *l, size_t colon)
{
	const char *v = l->s + colon + 1;
	size_t n = l->n - colon - 1;
	char *s = kb_import_strip(v, n), *out;
	size_t k;

	if (!s)
		return NULL;
	k = strlen(s);
	if (k >= 2 && (s[0] == '"' || s[0] == '\'') && s[k - 1] == s[0]) {
		out = kb_import_strip(s + 1, k - 2);
		free(s);
		return out;
	}
	return s;
}

static void md_meta_line(struct md *m, const struct md_line *l)
{
	const char *colon = memchr(l->s, ':', l->n);
	size_t k;
	char *v;

	if (!colon)
		return;
	k = (size_t)(colon - l->s);
	if (k == 3 && memcmp(l->s, "url", 3) == 0) {
		free(m->url);
		m->url = md_meta_value(l, k);
	} else if (k == 4 && memcmp(l->s, "lang", 4) == 0) {
		v = md_meta_value(l, k);
		free(m->lang);
		m->lang = v ? kb_import_lang(v, strlen(v)) : NULL;
		free(v);
	}
}

static int md_is_marker(const struct md_line *l, const char *marker)
{
	size_t n = strlen(marker), end = l->n;

	while (end > n && (l->s[end - 1] == ' ' || l->s[end - 1] == '\t'))
		end--;
	return end == n && memcmp(l->s, marker, n) == 0;
}

/* Front matter: "---" on the first line up to "---" or "...". */
static int md_front_matter(struct md *m)
{
	struct md_line l;
	size_t save = m->pos;

	if (!md_next_line(m, &l) || !md_is_marker(&l, "---")) {
		m->pos = save;
		m->line = 0;
		return 0;
	}
	while (md_next_line(m, &l)) {
		if (md_is_marker(&l, "---") || md_is_marker(&l, "..."))
			return 0;
		md_meta_line(m, &l);
	}
	return kb_import_fail(m->c, LK_EPARSE, 1, "front matter has no closing ---");
}

int kb_import_md(struct kb_import_ctx *c, const char *data, size_t len)
{
	struct md m = { .c = c, .p = data, .len = len };
	struct md_line l;
	size_t before = c->out->n;
	int rc;

	kb_text_init(&m.text);
	rc = kb_import_check_text(c, data, len, 1);
	if (rc)
		goto out;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		m.pos = 3; /* a byte-order mark */
	rc = md_front_matter(&m);
	while (rc == 0 && md_next_line(&m, &l))
		rc = md_line(&m, &l);
	if (rc == 0)
		rc = md_finish(&m);
	if (rc == 0 && c->out->n == before)
		rc = kb_import_fail(c, LK_EPARSE, 0,
				    "no sections found (an entry is a #, ## or ### heading "
				    "followed by text)");
out:
	kb_text_release(&m.text);
	free(m.heading);
	free(m.url);
	free(m.lang);
	return rc;
}
