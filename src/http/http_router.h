/* http_router.h - finds the route for a method and path in a route table
 * (see http_server.h for struct http_route). Paths are split into at most
 * HTTP_PATH_SEGMENTS segments of a path of at most HTTP_PATH_MAX bytes;
 * anything longer matches nothing.
 */
#ifndef LK_HTTP_ROUTER_H
#define LK_HTTP_ROUTER_H

#include "core/buf.h"
#include "http/http_server.h"

enum http_router_result {
	HTTP_ROUTER_FOUND = 0,
	HTTP_ROUTER_NO_PATH = 1,    /* 404 */
	HTTP_ROUTER_BAD_METHOD = 2, /* 405; `allow` lists the methods that would match */
};

/* On HTTP_ROUTER_FOUND sets *route and req->params (pointing into
 * req->scratch, valid while req lives). */
int http_router_find(const struct http_route *routes, const char *method, const char *path,
		     struct http_request *req, const struct http_route **route, struct buf *allow);

#endif
