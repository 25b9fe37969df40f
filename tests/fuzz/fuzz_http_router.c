// fuzz_http_router.c - libFuzzer target for request routing: the first byte
// picks the method, the rest is the request path. Checks that a match only
// ever yields non-empty parameters without '/' and a 405 always lists methods.
// fuzz-sources: src/core/buf.c src/core/mem.c src/core/err.c src/http/http_router.c
// Run: tests/fuzz/run.sh 60 http_router
#include "http/http_router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void handler(void *ctx, const struct http_request *req, struct http_response *res) {}

static const struct http_route routes[] = {
	{"POST", "/api/v1/conversations", handler, HTTP_ROUTE_JSON},
	{"POST", "/api/v1/conversations/:id/messages", handler, HTTP_ROUTE_JSON},
	{"GET", "/api/v1/conversations/:id", handler, 0},
	{"DELETE", "/api/v1/conversations/:id", handler, 0},
	{"GET", "/healthz", handler, 0},
	{"GET", "/", handler, 0},
	{"GET", "/static/:file", handler, 0},
	{0, 0, 0, 0},
};

static const char *const methods[] = {"GET", "POST", "DELETE", "PUT"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_route *route;
	struct http_request *req;
	struct buf allow;
	char *path;
	int rc;

	if (size < 1)
		return 0;
	path = malloc(size);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	req = calloc(1, sizeof(*req));
	buf_init(&allow, 256);
	rc = http_router_find(routes, methods[data[0] % 4], path, req, &route, &allow);
	if (rc == HTTP_ROUTER_FOUND) {
		for (size_t i = 0; i < req->n_params; i++) {
			if (!req->params[i][0] || strchr(req->params[i], '/'))
				abort();
		}
	} else if (rc == HTTP_ROUTER_BAD_METHOD && !allow.len) {
		abort();
	}
	buf_release(&allow);
	free(req);
	free(path);
	return 0;
}
