/* llm_chunk.h - one chat completion from an OpenAI-compatible server
 * (llama-server, vLLM, Ollama /v1), accumulated from streamed
 * "chat.completion.chunk" events or parsed from a whole response body; and
 * the parsers of the /v1/embeddings and /v1/models answers.
 *
 * Lifecycle: llm_completion_init(), then llm_completion_feed_event() /
 * llm_completion_feed_chunk() per SSE event (or llm_completion_parse_body()
 * once), then llm_completion_finish(), then llm_completion_release().
 * Everything is bounded: content and reasoning by max_content_bytes, tool
 * calls by LLM_TOOL_CALLS_MAX calls of LLM_TOOL_ARGS_MAX argument bytes each.
 * Server errors (also those inside a 200 stream) come back as LK_EREMOTE
 * with a struct llm_error (see llm_error.h).
 */
#ifndef LK_LLM_CHUNK_H
#define LK_LLM_CHUNK_H

#include "core/buf.h"
#include "core/err.h"
#include "llm/llm_error.h"

#include <jansson.h>
#include <stddef.h>

#define LLM_TOOL_CALLS_MAX   16
#define LLM_TOOL_ARGS_MAX    ((size_t)64 << 10) /* argument bytes of one tool call */
#define LLM_TOOL_NAME_MAX    128                /* bytes of a tool name */
#define LLM_TOOL_ID_MAX      256                /* bytes of a tool call id */
#define LLM_CHUNK_MAX        ((size_t)16 << 20) /* one chunk or whole body */
#define LLM_EMBED_DIM_MAX    8192
#define LLM_EMBED_INPUTS_MAX 4096
#define LLM_MODELS_MAX       4096

struct llm_tool_call_acc; /* private: one tool call being assembled */

struct llm_completion {
	struct buf content;   /* the assistant's text so far (bounded) */
	struct buf reasoning; /* delta.reasoning_content if sent (never shown to users) */
	/* After llm_completion_finish: [{"id","type":"function","function":{"name",
	 * "arguments":"<json text>"}}] or NULL; owned by c. */
	json_t *tool_calls;
	char finish_reason[24];                /* "" until given */
	long prompt_tokens, completion_tokens; /* -1 when unknown */
	int done;                              /* "[DONE]" seen (or a whole body parsed) */
	size_t chunks;                         /* data events fed */
	int reasoning_truncated;               /* reasoning passed its bound; the rest dropped */
	/* private accumulation state for tool calls */
	struct llm_tool_call_acc *acc;
	size_t n_acc;
	int finished;         /* llm_completion_finish() ran; finish_rc is its result */
	int finish_rc;
	char finish_msg[160]; /* its error message, repeated on later calls */
};

/* Receives each piece of content text as it arrives (valid UTF-8, not NUL
 * terminated); the text is borrowed for the call. */
typedef void (*llm_delta_fn)(void *ud, const char *text, size_t len);

/* --- lifecycle --- */

/* max_content_bytes bounds content and reasoning each (0: 1 MiB). */
void llm_completion_init(struct llm_completion *c, size_t max_content_bytes);
/* Frees everything (tool_calls included); c is left initialised with the same bound. */
void llm_completion_release(struct llm_completion *c);

/* --- streaming --- */

/* One SSE data payload (the `data` of one event): "[DONE]" or a JSON chunk
 * (object "chat.completion.chunk"). Content deltas are appended and passed to
 * on_delta (may be NULL). Returns 0; LK_EPARSE (err set) for malformed JSON /
 * wrong shape; LK_EREMOTE when the chunk is an error object (lerr, which may
 * be NULL, filled via llm_error_from_json); LK_ETOOBIG when content exceeds
 * its bound or tool calls exceed theirs. Only choice index 0 is accumulated.
 * Tool-call fragments are joined by index, but a fragment that carries an id
 * different from the one at its index (Ollama-compatible endpoints reuse
 * index 0 for parallel calls), or a second name for a call that has one,
 * starts a new call. Data after "[DONE]" is LK_EPARSE. */
int llm_completion_feed_chunk(struct llm_completion *c, const char *data, size_t len,
			      llm_delta_fn on_delta, void *ud, struct llm_error *lerr,
			      struct lk_err *err);

/* An SSE event as llm_sse delivers it: an event of type "error" (old
 * llama-server; the data is {"error":{..}} or the bare inner object, or
 * text) gives LK_EREMOTE with lerr; types "" and "message" go to
 * llm_completion_feed_chunk(); other types are ignored (0). Suits being the
 * body of an llm_sse_event_fn. */
int llm_completion_feed_event(struct llm_completion *c, const char *event, const char *data,
			      size_t len, llm_delta_fn on_delta, void *ud, struct llm_error *lerr,
			      struct lk_err *err);

/* --- whole bodies --- */

/* A whole non-streamed response body (object "chat.completion"):
 * choices[0].message.content (string or null), .reasoning_content,
 * .tool_calls (arguments may be a string or, as Ollama's native API does, an
 * object: normalised to a JSON text string), finish_reason, usage. Ollama's
 * native /api/chat body ({"message":{..},"done_reason",..,"eval_count"}) is
 * read too. Error bodies -> LK_EREMOTE with lerr. Calls
 * llm_completion_finish() itself, so c->tool_calls is ready on return 0. */
int llm_completion_parse_body(struct llm_completion *c, const char *body, size_t len,
			      struct llm_error *lerr, struct lk_err *err);

/* Ends accumulation: builds c->tool_calls from the fragments and checks each
 * arguments text parses as a JSON object (LK_EPARSE naming the tool
 * otherwise; empty arguments count as "{}"). A call the server gave no id
 * gets "call_<n>". Idempotent: later calls return the first result (and set
 * err again). Feeding after finish is LK_EINVAL. */
int llm_completion_finish(struct llm_completion *c, struct lk_err *err);

/* --- other endpoints --- */

/* POST /v1/embeddings response: {"object":"list","data":[{"index":i,"embedding":[floats]}],...}
 * (Ollama's native {"embeddings":[[..],..]} is read too). Fills *vecs
 * (n_expected * *dim floats, row i = input i, ordered by "index"; caller
 * frees with free()) and *dim. LK_EPARSE if count, indexes or dimensions
 * disagree, a value is not a finite number in float range, or dim > 8192;
 * LK_EINVAL if n_expected is 0 or over LLM_EMBED_INPUTS_MAX; LK_EREMOTE with
 * lerr for an error body. On failure *vecs is NULL and *dim 0. */
int llm_parse_embeddings(const char *body, size_t len, size_t n_expected, float **vecs, size_t *dim,
			 struct llm_error *lerr, struct lk_err *err);

/* GET /v1/models: {"object":"list","data":[{"id":..},...]} (Ollama also
 * answers this shape; its native /api/tags {"models":[{"name":..}]} is read
 * too). *ids: a new JSON array of id strings (caller json_decref), NULL on
 * failure. LK_EPARSE for another shape, LK_EREMOTE with lerr for an error. */
int llm_parse_models(const char *body, size_t len, json_t **ids, struct llm_error *lerr,
		     struct lk_err *err);

#endif
