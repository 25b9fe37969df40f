/* llm_sse.c - incremental text/event-stream parser (see llm_sse.h).
 * Complete lines inside one fed block are handled in place; only a line cut
 * by the end of a block is copied into p->line to wait for the rest. */
#include "llm/llm_sse.h"

#include <string.h>

static const unsigned char llm_sse_bom[3] = { 0xef, 0xbb, 0xbf };

void llm_sse_init(struct llm_sse *p, size_t max_event_bytes)
{
	if (!max_event_bytes)
		max_event_bytes = LLM_SSE_DEFAULT_MAX;
	buf_init(&p->line, max_event_bytes);
	buf_init(&p->data, max_event_bytes);
	p->event[0] = '\0';
	p->cr = 0;
	p->max_event = max_event_bytes;
	p->ndata = 0;
	p->bom = 0;
	p->failed = 0;
}

void llm_sse_release(struct llm_sse *p)
{
	buf_release(&p->line);
	buf_release(&p->data);
	llm_sse_init(p, p->max_event);
}

/* Forgets the event being built and any partial line. */
static void llm_sse_reset_event(struct llm_sse *p)
{
	buf_reset(&p->line);
	buf_reset(&p->data);
	p->ndata = 0;
	p->event[0] = '\0';
}

static int llm_sse_toobig(struct llm_sse *p, struct lk_err *err)
{
	llm_sse_reset_event(p);
	p->failed = LK_ETOOBIG;
	return lk_err_set(err, LK_ETOOBIG, "event stream: line or event longer than %zu bytes",
			  p->max_event);
}

static int llm_sse_dispatch(struct llm_sse *p, llm_sse_event_fn fn, void *ud)
{
	int rc = 0;

	if (p->ndata && fn)
		rc = fn(ud, p->event, p->data.ptr, p->data.len);
	buf_reset(&p->data);
	p->ndata = 0;
	p->event[0] = '\0';
	return rc;
}

static int llm_sse_add_data(struct llm_sse *p, const char *value, size_t len, struct lk_err *err)
{
	if (p->ndata && buf_addc(&p->data, '\n'))
		return llm_sse_toobig(p, err);
	if (buf_add(&p->data, value, len))
		return llm_sse_toobig(p, err);
	p->ndata++;
	return 0;
}

/* Copies an event type, cut to fit at a UTF-8 character boundary. */
static void llm_sse_set_event(struct llm_sse *p, const char *value, size_t len)
{
	if (len >= sizeof(p->event)) {
		len = sizeof(p->event) - 1;
		while (len && ((unsigned char)value[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(p->event, value, len);
	p->event[len] = '\0';
}

static int llm_sse_is_field(const char *s, size_t n, const char *name)
{
	return n == strlen(name) && !memcmp(s, name, n);
}

/* One complete line s[0..n), without its end-of-line bytes. */
static int llm_sse_line(struct llm_sse *p, const char *s, size_t n, llm_sse_event_fn fn, void *ud,
			struct lk_err *err)
{
	const char *colon, *value;
	size_t flen, vlen;

	if (n == 0)
		return llm_sse_dispatch(p, fn, ud);
	if (s[0] == ':')
		return 0;
	colon = memchr(s, ':', n);
	if (colon) {
		flen = (size_t)(colon - s);
		value = colon + 1;
		vlen = n - flen - 1;
		if (vlen && value[0] == ' ') {
			value++;
			vlen--;
		}
	} else {
		flen = n;
		value = s + n;
		vlen = 0;
	}
	if (llm_sse_is_field(s, flen, "data"))
		return llm_sse_add_data(p, value, vlen, err);
	if (llm_sse_is_field(s, flen, "event")) {
		llm_sse_set_event(p, value, vlen);
		return 0;
	}
	if (llm_sse_is_field(s, flen, "error")) {
		if (!p->event[0])
			llm_sse_set_event(p, "error", 5);
		return llm_sse_add_data(p, value, vlen, err);
	}
	/* "id", "retry" and unknown fields: nothing to do. */
	return 0;
}

static int llm_sse_bytes(struct llm_sse *p, const char *s, size_t n, llm_sse_event_fn fn, void *ud,
			 struct lk_err *err)
{
	size_t i = 0;

	while (i < n) {
		size_t j;
		int rc;

		if (p->cr) {
			p->cr = 0;
			if (s[i] == '\n') {
				i++;
				continue;
			}
		}
		for (j = i; j < n && s[j] != '\n' && s[j] != '\r'; j++)
			;
		if (j == n) {
			if (buf_add(&p->line, s + i, n - i))
				return llm_sse_toobig(p, err);
			return 0;
		}
		p->cr = s[j] == '\r';
		if (p->line.len) {
			if (buf_add(&p->line, s + i, j - i))
				return llm_sse_toobig(p, err);
			rc = llm_sse_line(p, p->line.ptr, p->line.len, fn, ud, err);
			buf_reset(&p->line);
		} else if (j - i > p->max_event) {
			return llm_sse_toobig(p, err);
		} else {
			rc = llm_sse_line(p, s + i, j - i, fn, ud, err);
		}
		i = j + 1;
		if (rc)
			return rc;
	}
	return 0;
}

int llm_sse_feed(struct llm_sse *p, const char *bytes, size_t n, llm_sse_event_fn fn, void *ud,
		 struct lk_err *err)
{
	size_t i = 0;

	if (p->failed)
		return lk_err_set(err, p->failed,
				  "event stream: already failed (line or event "
				  "longer than %zu bytes)",
				  p->max_event);
	while (p->bom < 3 && i < n) {
		int matched = p->bom;
		int rc;

		if ((unsigned char)bytes[i] == llm_sse_bom[matched]) {
			p->bom++;
			i++;
			continue;
		}
		/* Not a BOM after all: the bytes taken for one are text. */
		p->bom = 3;
		rc = llm_sse_bytes(p, (const char *)llm_sse_bom, (size_t)matched, fn, ud, err);
		if (rc)
			return rc;
	}
	return llm_sse_bytes(p, bytes + i, n - i, fn, ud, err);
}

int llm_sse_finish(struct llm_sse *p)
{
	int pending = p->ndata > 0 || p->line.len > 0 || (p->bom > 0 && p->bom < 3);

	llm_sse_reset_event(p);
	p->cr = 0;
	p->bom = 0;
	p->failed = 0;
	return pending;
}
