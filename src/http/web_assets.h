/* web_assets.h - the web pages built into the binary (generated from web/ by
 * tools/embed.py at build time), so `loket serve` needs no files beside it.
 */
#ifndef LK_WEB_ASSETS_H
#define LK_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;         /* URL path, e.g. "/static/chat.js" */
	const char *content_type;
	const unsigned char *data;
	size_t len;
};

/* Ends with a row whose path is NULL. */
extern const struct web_asset web_assets[];

#endif
