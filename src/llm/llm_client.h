/* llm_client.h - the client of an OpenAI-compatible server (llama-server,
 * vLLM, Ollama): chat completions with and without streaming, tool calls,
 * embeddings and the model list.
 *
 * One client owns one thread that drives every transfer with libcurl's multi
 * interface, so a slow or dead model never holds a server thread: callers
 * start a call and get their callbacks on the client's thread. Each call has
 * a deadline (timeout_ms, retries included); 429, 5xx and network errors are
 * retried with jittered exponential backoff while no token has been passed
 * on yet and the deadline allows; a circuit breaker refuses calls at once
 * while the backend keeps failing. The API key is sent as a Bearer token and
 * never written anywhere else.
 */
#ifndef LK_LLM_CLIENT_H
#define LK_LLM_CLIENT_H

#include "core/err.h"
#include "llm/llm_breaker.h"
#include "llm/llm_chunk.h"
#include "llm/llm_config.h"
#include "llm/llm_error.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define LLM_BODY_MAX ((size_t)4 << 20)     /* bytes of a response body we read */
#define LLM_CONTENT_MAX ((size_t)64 << 10) /* bytes of generated text we keep */

struct llm_client;

/* The config is copied. Starts the client's thread. Caller frees with
 * llm_client_free(), which ends every call still running (their on_done
 * gets LK_EUNAVAIL). */
int llm_client_new(struct llm_client **out, const struct llm_config *cfg, struct lk_err *err);
void llm_client_free(struct llm_client *c);
const struct llm_config *llm_client_config(const struct llm_client *c);

/* --- chat completions --- */

/* Called once per call on the client's thread. rc is 0 or a negative LK_E*
 * code; on failure lerr says what the server (or the client) reported. res
 * holds whatever arrived (also on failure: the text streamed so far). Both
 * are borrowed for the duration of the callback. */
typedef void (*llm_chat_done_fn)(void *ud, int rc, const struct llm_completion *res,
				 const struct llm_error *lerr);

struct llm_chat_cb {
	llm_delta_fn on_delta;     /* streamed text; may be NULL */
	llm_chat_done_fn on_done;  /* required */
	void *ud;
};

/* Starts POST {base_url}/chat/completions. `body` holds "messages" and any
 * of "tools", "tool_choice", "response_format", "stop", "seed"; the client
 * adds "model", "stream" (and stream_options.include_usage), "max_tokens"
 * and "temperature" unless present. body is taken over. budget_ms 0 means
 * the configured timeout_ms.
 * Returns 0 (on_done will be called exactly once), or LK_EUNAVAIL when the
 * circuit is open (lerr kind CIRCUIT_OPEN; on_done is not called). */
int llm_chat_start(struct llm_client *c, json_t *body, int stream, unsigned budget_ms,
		   const struct llm_chat_cb *cb, struct llm_error *lerr, struct lk_err *err);

/* The value of "response_format" that asks for JSON following `schema`, in
 * the nested OpenAI form {"type":"json_schema","json_schema":{"name",
 * "schema","strict":true}}: llama-server reads only this form (its flat
 * variant is silently ignored), vLLM and Ollama accept it. schema is taken
 * over; name is at most 64 characters of [A-Za-z0-9_-]. */
json_t *llm_response_format_json_schema(const char *name, json_t *schema);

/* --- embeddings --- */

/* vec (dim floats) is borrowed during the callback; NULL on failure. */
typedef void (*llm_embed_done_fn)(void *ud, int rc, const float *vec, size_t dim,
				  const struct llm_error *lerr);

/* Embeds one text asynchronously (the query path). Same return rules as
 * llm_chat_start. */
int llm_embed_start(struct llm_client *c, const char *text, unsigned budget_ms,
		    llm_embed_done_fn on_done, void *ud, struct llm_error *lerr,
		    struct lk_err *err);

/* Blocking: embeds n texts in one request; *vecs (n * *dim floats, row i =
 * text i) is the caller's to free. For start-up and import only, never on a
 * request path. */
int llm_embed(struct llm_client *c, const char *const *texts, size_t n, float **vecs,
	      size_t *dim, struct llm_error *lerr, struct lk_err *err);

/* Blocking: GET {base_url}/models; *ids a new array of model ids. */
int llm_models(struct llm_client *c, json_t **ids, struct llm_error *lerr, struct lk_err *err);

/* Blocking: what the client found at start-up, in one line for people
 * ("http://127.0.0.1:8080/v1 answers; model 'x' is served"). 0 when the
 * backend answers and serves the model, else an error code with the reason
 * in `line`. */
int llm_probe(struct llm_client *c, char *line, size_t size);

/* --- counters (for /metrics) --- */
struct llm_stats {
	uint64_t calls;            /* started */
	uint64_t ok;
	uint64_t failed[LLM_ERR_KIND_COUNT];
	uint64_t retries;
	uint64_t refused;          /* circuit open */
	uint64_t in_flight;
	enum llm_breaker_state breaker;
	uint64_t breaker_opened;
};
void llm_client_stats(struct llm_client *c, struct llm_stats *out);

/* Monotonic milliseconds (the clock deadlines use). */
uint64_t llm_now_ms(void);

#endif
