/* http_router.c - matching a request path against the route table: exact
 * segments and ":name" parameters, 404 versus 405 with the allowed methods.
 */
#include "http/http_router.h"

#include <string.h>

/* Splits "/a/b/c" into segments. Returns 0 for a path we refuse. */
static int path_split(const char *path, struct path_segs *ps)
{
	size_t len = strlen(path);
	char *s;

	ps->n = 0;
	if (path[0] != '/' || len > HTTP_PATH_MAX)
		return 0;
	memcpy(ps->buf, path, len + 1);
	s = ps->buf + 1;
	if (!*s)
		return 1;
	for (;;) {
		char *slash = strchr(s, '/');

		if (ps->n == HTTP_PATH_SEGMENTS)
			return 0;
		ps->seg[ps->n++] = s;
		if (!slash)
			return 1;
		*slash = '\0';
		s = slash + 1;
	}
}

/* Does the pattern match the segments? Fills params on a match. */
static int route_match(const char *pattern, const struct path_segs *ps,
		       const char *params[HTTP_MAX_PARAMS], size_t *n_params)
{
	const char *p = pattern + 1;
	size_t i = 0;

	*n_params = 0;
	if (!*p)
		return ps->n == 0;
	for (;; i++) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (i >= ps->n)
			return 0;
		if (p[0] == ':') {
			if (!ps->seg[i][0] || *n_params == HTTP_MAX_PARAMS)
				return 0;
			params[(*n_params)++] = ps->seg[i];
		} else if (strlen(ps->seg[i]) != n || strncmp(ps->seg[i], p, n)) {
			return 0;
		}
		if (!end)
			return i + 1 == ps->n;
		p = end + 1;
	}
}

int http_router_find(const struct http_route *routes, const char *method, const char *path,
		     struct http_request *req, const struct http_route **route, struct buf *allow)
{
	struct path_segs *ps = &req->scratch;

	*route = NULL;
	if (!path_split(path, ps))
		return HTTP_ROUTER_NO_PATH;
	for (const struct http_route *r = routes; r->method; r++) {
		const char *params[HTTP_MAX_PARAMS];
		size_t n_params;

		if (!route_match(r->pattern, ps, params, &n_params))
			continue;
		if (!strcmp(r->method, method)) {
			memcpy(req->params, params, sizeof(params));
			req->n_params = n_params;
			*route = r;
			return HTTP_ROUTER_FOUND;
		}
		if (allow->len)
			buf_adds(allow, ", ");
		buf_adds(allow, r->method);
	}
	return allow->len ? HTTP_ROUTER_BAD_METHOD : HTTP_ROUTER_NO_PATH;
}
