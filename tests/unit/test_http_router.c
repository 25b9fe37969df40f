/* test_http_router.c - unit tests for route matching: parameters, 404
 * versus 405 with Allow, and paths that must match nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "http/http_router.h"

static void handler(void *ctx, const struct http_request *req, struct http_response *res) {}

static const struct http_route routes[] = {
	{"POST", "/api/v1/conversations", handler, HTTP_ROUTE_JSON},
	{"POST", "/api/v1/conversations/:id/messages", handler, HTTP_ROUTE_JSON},
	{"GET", "/api/v1/conversations/:id", handler, 0},
	{"DELETE", "/api/v1/conversations/:id", handler, 0},
	{"GET", "/", handler, 0},
	{0, 0, 0, 0},
};

static int find(const char *method, const char *path, struct http_request *req,
		const struct http_route **route, struct buf *allow)
{
	memset(req, 0, sizeof(*req));
	buf_reset(allow);
	return http_router_find(routes, method, path, req, route, allow);
}

static void test_parameters(void **state)
{
	const struct http_route *r;
	struct http_request req;
	struct buf allow;

	buf_init(&allow, 256);
	assert_int_equal(find("POST", "/api/v1/conversations/abc123/messages", &req, &r, &allow), HTTP_ROUTER_FOUND);
	assert_ptr_equal(r, &routes[1]);
	assert_int_equal(req.n_params, 1);
	assert_string_equal(req.params[0], "abc123");
	assert_int_equal(find("GET", "/api/v1/conversations/x", &req, &r, &allow), HTTP_ROUTER_FOUND);
	assert_ptr_equal(r, &routes[2]);
	assert_string_equal(req.params[0], "x");
	assert_int_equal(find("GET", "/", &req, &r, &allow), HTTP_ROUTER_FOUND);
	assert_ptr_equal(r, &routes[4]);
	buf_release(&allow);
}

static void test_wrong_method_lists_allowed(void **state)
{
	const struct http_route *r;
	struct http_request req;
	struct buf allow;

	buf_init(&allow, 256);
	assert_int_equal(find("PUT", "/api/v1/conversations/x", &req, &r, &allow), HTTP_ROUTER_BAD_METHOD);
	assert_string_equal(allow.ptr, "GET, DELETE");
	assert_null(r);
	assert_int_equal(find("GET", "/api/v1/conversations", &req, &r, &allow), HTTP_ROUTER_BAD_METHOD);
	assert_string_equal(allow.ptr, "POST");
	buf_release(&allow);
}

static void test_paths_that_match_nothing(void **state)
{
	static const char *const bad[] = {
		"", "api", "/api", "/api/v1/conversations/", "/api/v1/conversations//messages",
		"/api/v1/conversations/x/messages/extra", "/API/v1/conversations", "//",
		"/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s",
	};
	const struct http_route *r;
	struct http_request req;
	struct buf allow;
	char longpath[2100];

	buf_init(&allow, 256);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(find("GET", bad[i], &req, &r, &allow), HTTP_ROUTER_NO_PATH);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(find("GET", longpath, &req, &r, &allow), HTTP_ROUTER_NO_PATH);
	buf_release(&allow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_wrong_method_lists_allowed),
		cmocka_unit_test(test_paths_that_match_nothing),
	};
	return cmocka_run_group_tests_name("http/router", tests, NULL, NULL);
}
