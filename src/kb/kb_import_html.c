/* kb_import_html.c - HTML FAQ pages, parsed with libxml2's tolerant HTML
 * parser. Questions are h2-h4 headings, <dt> with its <dd>s, and <details>
 * with its <summary>; navigation, scripts, forms and page chrome are skipped.
 * The page is first flattened into blocks (text, heading, question+answer),
 * then the blocks are grouped into entries (see html_entries()).
 */
#include "core/buf.h"
#include "core/mem.h"
#include "kb/kb_import_int.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTML_MAX_DEPTH 256

/* Elements whose content is never part of an answer. */
static const char *const html_dropped[] = {
	"script", "style", "nav", "header", "footer", "aside", "form", "noscript",
	"template", "iframe", "svg", "button", "select", "textarea", "object",
};

/* Elements that end a paragraph before and after them. */
static const char *const html_blocks[] = {
	"p", "div", "section", "article", "main", "blockquote", "table", "tr", "pre",
	"address", "figure", "figcaption", "center", "hr", "h1", "h5", "h6", "body",
	"fieldset", "dl", "dt", "dd", "details", "summary", "caption", "thead", "tbody",
};

enum html_blk_kind { BLK_TEXT, BLK_HEADING, BLK_QA };

/* A piece of the flattened page: rendered text between structure, a heading,
 * or a self-contained question with its answer. */
struct html_blk {
	enum html_blk_kind kind;
	int level;     /* heading level 2..4 */
	long line;
	char *text;    /* text, heading text or question; owned */
	char *answer;  /* BLK_QA only; owned */
};

struct html {
	struct kb_import_ctx *c;
	struct html_blk *v;
	size_t n, alloc;
	struct kb_text cur;  /* text since the last block */
	long cur_line;
	char *url, *lang;    /* page defaults; owned */
	int list_depth;
	int rc;              /* first error while walking */
};

static int name_in(const xmlNode *node, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp((const char *)node->name, names[i]) == 0)
			return 1;
	return 0;
}

#define NAME_IN(node, table) name_in(node, table, sizeof(table) / sizeof(table[0]))

static int is_el(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && strcasecmp((const char *)node->name, name) == 0;
}

static int heading_level(const xmlNode *node)
{
	const char *s = (const char *)node->name;

	if ((s[0] == 'h' || s[0] == 'H') && s[1] >= '1' && s[1] <= '6' && !s[2])
		return s[1] - '0';
	return 0;
}

static long node_line(const xmlNode *node)
{
	long line = xmlGetLineNo(node);

	return line > 0 ? line : 0;
}

/* --- rendering a subtree to plain text --- */

static void render(struct html *h, const xmlNode *node, struct kb_text *t, int depth);

static void render_children(struct html *h, const xmlNode *node, struct kb_text *t, int depth)
{
	for (const xmlNode *k = node->children; k && !h->rc; k = k->next)
		render(h, k, t, depth + 1);
}

static int too_deep(struct html *h, const xmlNode *node, int depth)
{
	if (depth <= HTML_MAX_DEPTH)
		return 0;
	if (!h->rc)
		h->rc = kb_import_fail(h->c, LK_EPARSE, node_line(node),
				       "elements nested deeper than %d", HTML_MAX_DEPTH);
	return 1;
}

static void render_list_item(struct html *h, const xmlNode *node, struct kb_text *t,
			     int depth)
{
	kb_text_line(t);
	kb_text_add_raw(t, "-", 1);
	kb_text_space(t);
	render_children(h, node, t, depth);
	kb_text_line(t);
}

static void render_list(struct html *h, const xmlNode *node, struct kb_text *t, int depth)
{
	if (h->list_depth)
		kb_text_line(t);
	else
		kb_text_para(t);
	h->list_depth++;
	render_children(h, node, t, depth);
	h->list_depth--;
	if (h->list_depth)
		kb_text_line(t);
	else
		kb_text_para(t);
}

/* Everything in node as plain text: paragraphs, list lines, no structure. */
static void render(struct html *h, const xmlNode *node, struct kb_text *t, int depth)
{
	if (too_deep(h, node, depth))
		return;
	if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
		if (node->content)
			kb_text_add(t, (const char *)node->content,
				    strlen((const char *)node->content));
		return;
	}
	if (node->type != XML_ELEMENT_NODE || NAME_IN(node, html_dropped))
		return;
	if (is_el(node, "br")) {
		kb_text_line(t);
	} else if (is_el(node, "li")) {
		render_list_item(h, node, t, depth);
	} else if (is_el(node, "ul") || is_el(node, "ol")) {
		render_list(h, node, t, depth);
	} else if (heading_level(node) || NAME_IN(node, html_blocks)) {
		kb_text_para(t);
		render_children(h, node, t, depth);
		kb_text_para(t);
	} else {
		if (is_el(node, "td") || is_el(node, "th"))
			kb_text_space(t);
		render_children(h, node, t, depth);
	}
}

/* node's text on one line (for headings and questions). Caller frees. */
static char *one_line(struct html *h, const xmlNode *node, int depth)
{
	struct kb_text t;
	char *s;

	kb_text_init(&t);
	render_children(h, node, &t, depth);
	s = kb_text_detach(&t);
	for (char *p = s; p && *p; p++)
		if (*p == '\n')
			*p = ' ';
	return s;
}

/* --- flattening the page into blocks --- */

static struct html_blk *push_blk(struct html *h, enum html_blk_kind kind, long line)
{
	struct html_blk *b;

	if (h->n == h->alloc) {
		h->alloc = h->alloc ? h->alloc * 2 : 32;
		h->v = xreallocarray(h->v, h->alloc, sizeof(*h->v));
	}
	b = &h->v[h->n++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->line = line;
	return b;
}

/* Closes the running text, if any, as a BLK_TEXT. */
static void flush_text(struct html *h)
{
	int over = kb_text_too_long(&h->cur);
	char *s = kb_text_detach(&h->cur);

	if (over && !h->rc)
		h->rc = kb_import_fail(h->c, LK_ETOOBIG, h->cur_line,
				       "text longer than %zu bytes", KB_IMPORT_MAX_FIELD);
	if (!s)
		return;
	push_blk(h, BLK_TEXT, h->cur_line)->text = s;
}

/* A question with its answer, from <details> or <dt>+<dd>s. */
static void push_qa(struct html *h, const xmlNode *qnode, char *question, struct kb_text *a)
{
	int over = kb_text_too_long(a);
	char *answer = kb_text_detach(a);
	struct html_blk *b;

	if (over && !h->rc)
		h->rc = kb_import_fail(h->c, LK_ETOOBIG, node_line(qnode),
				       "answer longer than %zu bytes", KB_IMPORT_MAX_FIELD);
	if (!question || !answer) {
		free(question);
		free(answer);
		return;
	}
	b = push_blk(h, BLK_QA, node_line(qnode));
	b->text = question;
	b->answer = answer;
}

static void flatten(struct html *h, const xmlNode *node, int depth);

static void flatten_details(struct html *h, const xmlNode *node, int depth)
{
	const xmlNode *summary = NULL;
	struct kb_text a;

	for (const xmlNode *k = node->children; k && !summary; k = k->next)
		if (is_el(k, "summary"))
			summary = k;
	if (!summary) {
		render(h, node, &h->cur, depth);
		return;
	}
	flush_text(h);
	kb_text_init(&a);
	for (const xmlNode *k = node->children; k && !h->rc; k = k->next)
		if (k != summary)
			render(h, k, &a, depth + 1);
	push_qa(h, summary, one_line(h, summary, depth + 1), &a);
	kb_text_release(&a);
}

/* The pending <dt> of a <dl> and its answer so far. */
struct html_dt {
	const xmlNode *dt;
	struct kb_text a;
};

static void dl_close(struct html *h, struct html_dt *q, int depth)
{
	if (q->dt)
		push_qa(h, q->dt, one_line(h, q->dt, depth), &q->a);
	kb_text_release(&q->a);
	q->dt = NULL;
}

/* dt and dd children of a <dl>, also inside the <div>s HTML allows there. */
static void dl_children(struct html *h, const xmlNode *node, struct html_dt *q, int depth)
{
	for (const xmlNode *k = node->children; k && !h->rc; k = k->next) {
		if (too_deep(h, k, depth + 1))
			return;
		if (is_el(k, "dt")) {
			dl_close(h, q, depth + 1);
			q->dt = k;
		} else if (is_el(k, "dd") && q->dt) {
			kb_text_para(&q->a);
			render_children(h, k, &q->a, depth + 1);
		} else if (is_el(k, "dd")) {
			render(h, k, &h->cur, depth + 1);
		} else if (is_el(k, "div")) {
			dl_children(h, k, q, depth + 1);
		}
	}
}

static void flatten_dl(struct html *h, const xmlNode *node, int depth)
{
	struct html_dt q = { NULL };

	kb_text_init(&q.a);
	flush_text(h);
	dl_children(h, node, &q, depth);
	dl_close(h, &q, depth);
}

static void flatten_heading(struct html *h, const xmlNode *node, int level, int depth)
{
	char *text;

	flush_text(h);
	text = one_line(h, node, depth);
	if (text) {
		struct html_blk *b = push_blk(h, BLK_HEADING, node_line(node));

		b->level = level;
		b->text = text;
	}
	h->cur_line = node_line(node);
}

/* Walks the page: structure becomes blocks, everything else running text. */
static void flatten(struct html *h, const xmlNode *node, int depth)
{
	int level;

	if (too_deep(h, node, depth))
		return;
	if (node->type != XML_ELEMENT_NODE) {
		render(h, node, &h->cur, depth);
		return;
	}
	if (NAME_IN(node, html_dropped))
		return;
	level = heading_level(node);
	if (level >= 2 && level <= 4) {
		flatten_heading(h, node, level, depth);
	} else if (is_el(node, "details")) {
		flatten_details(h, node, depth);
	} else if (is_el(node, "dl")) {
		flatten_dl(h, node, depth);
	} else if (is_el(node, "ul") || is_el(node, "ol") || is_el(node, "li") ||
		   is_el(node, "table") || is_el(node, "pre") || is_el(node, "p")) {
		/* no questions inside these: render them whole */
		render(h, node, &h->cur, depth);
	} else {
		int block = NAME_IN(node, html_blocks);

		if (block)
			kb_text_para(&h->cur);
		for (const xmlNode *k = node->children; k && !h->rc; k = k->next)
			flatten(h, k, depth + 1);
		if (block)
			kb_text_para(&h->cur);
	}
}

/* --- grouping blocks into entries --- */

/* Adds one entry; takes ownership of answer. */
static int html_emit(struct html *h, long line, const char *question, char *answer)
{
	struct kb_entry e;

	kb_entry_init(&e);
	e.id = kb_import_make_id(h->c, question);
	e.question = xstrdup(question);
	e.title = xstrdup(question);
	e.answer = answer;
	e.url = xstrdup(h->url);
	e.lang = xstrdup(h->lang);
	return kb_import_add(h->c, line, &e);
}

/* The heading at v[i] with the blocks up to the next heading of the same or
 * a higher level, sub-headings included as paragraphs (each sub-heading also
 * makes its own entry). A heading directly followed by another heading is a
 * category, not a question: it makes no entry, as it would only repeat the
 * entries below it. Questions from <dt> and <details> are entries of their
 * own and are not repeated in the section. */
static int html_section(struct html *h, size_t i)
{
	const struct html_blk *head = &h->v[i];
	struct kb_text t;

	if (i + 1 >= h->n || h->v[i + 1].kind != BLK_TEXT)
		return 0;
	kb_text_init(&t);
	for (size_t k = i + 1; k < h->n; k++) {
		const struct html_blk *b = &h->v[k];

		if (b->kind == BLK_HEADING && b->level <= head->level)
			break;
		if (b->kind == BLK_QA)
			continue;
		kb_text_para(&t);
		if (b->kind == BLK_TEXT)
			kb_text_add_raw(&t, b->text, strlen(b->text));
		else
			kb_text_add(&t, b->text, strlen(b->text));
	}
	if (kb_text_too_long(&t)) {
		kb_text_release(&t);
		return kb_import_fail(h->c, LK_ETOOBIG, head->line, "section longer than %zu bytes",
				      KB_IMPORT_MAX_FIELD);
	}
	return html_emit(h, head->line, head->text, kb_text_detach(&t));
}

static int html_entries(struct html *h)
{
	int rc = 0;

	for (size_t i = 0; i < h->n && rc == 0; i++) {
		const struct html_blk *b = &h->v[i];

		if (b->kind == BLK_HEADING)
			rc = html_section(h, i);
		else if (b->kind == BLK_QA)
			rc = html_emit(h, b->line, b->text, xstrdup(b->answer));
	}
	return rc;
}

/* --- page metadata --- */

static char *attr(const xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
	char *s;

	if (!v)
		return NULL;
	s = kb_import_strip((const char *)v, strlen((const char *)v));
	xmlFree(v);
	return s;
}

/* 1 when the space-separated list `list` holds `word` (any case). */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, " \t\n");

		if (k == n && strncasecmp(p, word, n) == 0)
			return 1;
		p += k;
		p += strspn(p, " \t\n");
	}
	return 0;
}

/* The canonical link or, failing that, og:url, anywhere in the page. */
static void find_url(struct html *h, const xmlNode *node, char **og, int depth)
{
	for (const xmlNode *k = node; k && depth < HTML_MAX_DEPTH && !h->url; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(k, "link")) {
			char *rel = attr(k, "rel");

			if (has_word(rel, "canonical"))
				h->url = attr(k, "href");
			free(rel);
		} else if (is_el(k, "meta") && !*og) {
			char *prop = attr(k, "property");

			if (prop && strcasecmp(prop, "og:url") == 0)
				*og = attr(k, "content");
			free(prop);
		} else if (is_el(k, "body")) {
			continue; /* metadata lives in <head> */
		}
		find_url(h, k->children, og, depth + 1);
	}
}

static void page_meta(struct html *h, const xmlNode *root)
{
	char *og = NULL, *lang = attr(root, "lang");

	if (!lang)
		lang = attr(root, "xml:lang");
	if (lang)
		h->lang = kb_import_lang(lang, strlen(lang));
	free(lang);
	find_url(h, root, &og, 0);
	if (!h->url)
		h->url = og;
	else
		free(og);
}

static const xmlNode *find_body(const xmlNode *root)
{
	for (const xmlNode *k = root->children; k; k = k->next)
		if (is_el(k, "body"))
			return k;
	return root;
}

/* --- entry point --- */

static int is_blank_data(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return 1;
}

static void html_release(struct html *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].text);
		free(h->v[i].answer);
	}
	free(h->v);
	kb_text_release(&h->cur);
	free(h->url);
	free(h->lang);
}

/* Parses with line numbers on, which htmlReadMemory() leaves to a global. */
static xmlDoc *html_parse(const char *data, size_t len)
{
	htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(data, (int)len);
	xmlDoc *doc;

	if (!ctxt)
		return NULL;
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
					 HTML_PARSE_NONET);
	ctxt->linenumbers = 1;
	htmlParseDocument(ctxt);
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	htmlFreeParserCtxt(ctxt);
	return doc;
}

int kb_import_html(struct kb_import_ctx *c, const char *data, size_t len)
{
	struct html h = { .c = c, .cur_line = 1 };
	size_t before = c->out->n;
	const xmlNode *root;
	xmlDoc *doc = NULL;
	int rc;

	kb_text_init(&h.cur);
	if (is_blank_data(data, len)) {
		rc = kb_import_fail(c, LK_EPARSE, 0, "empty file");
		goto out;
	}
	if (memchr(data, '\0', len) || len > INT_MAX) {
		rc = kb_import_fail(c, LK_EPARSE, 0, "binary data, not an HTML page");
		goto out;
	}
	doc = html_parse(data, len);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		rc = kb_import_fail(c, LK_EPARSE, 0, "could not parse as HTML");
		goto out;
	}
	page_meta(&h, root);
	flatten(&h, find_body(root), 0);
	flush_text(&h);
	rc = h.rc ? h.rc : html_entries(&h);
	if (rc == 0 && c->out->n == before)
		rc = kb_import_fail(c, LK_EPARSE, 0,
				    "no questions found (expected h2-h4 headings followed by "
				    "text, <dt>/<dd> or <details>/<summary>)");
out:
	html_release(&h);
	xmlFreeDoc(doc);
	return rc;
}
