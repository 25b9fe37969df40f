/* llm_config.h - where a language model or an embeddings model lives and
 * how Loket may use it: the `llm:` and `embeddings:` sections of bot.yaml.
 * Plain data, loaded by bot.c and read by the client.
 */
#ifndef LK_LLM_CONFIG_H
#define LK_LLM_CONFIG_H

#include <stddef.h>

struct llm_config {
	char *base_url;              /* "http://127.0.0.1:8080/v1", no trailing slash */
	char *model;
	char *api_key;               /* the secret itself, or NULL; never logged */
	char *api_key_env;           /* name of the environment variable it came from */
	unsigned timeout_ms;         /* whole budget of one answer, retries included */
	unsigned connect_timeout_ms;
	unsigned first_token_ms;     /* no first token by then: give up (streaming) */
	unsigned max_tokens;
	double temperature;
	unsigned retries;            /* extra attempts on 429, 5xx and network errors */
	unsigned breaker_failures;   /* consecutive failures that open the circuit */
	unsigned breaker_cooldown_ms;/* how long it stays open before one trial call */
	unsigned passages;           /* passages given to the model (RAG) */
	unsigned history_turns;      /* earlier turns given to the model */
	double min_similarity;       /* embeddings: cosine at which a passage counts as relevant */
	unsigned batch;              /* embeddings: texts per request */
};

/* Defaults for every field that is 0 after loading. */
#define LLM_DEFAULT_TIMEOUT_MS 8000
#define LLM_DEFAULT_CONNECT_TIMEOUT_MS 1000
#define LLM_DEFAULT_FIRST_TOKEN_MS 4000
#define LLM_DEFAULT_MAX_TOKENS 350
#define LLM_DEFAULT_RETRIES 1
#define LLM_DEFAULT_BREAKER_FAILURES 5
#define LLM_DEFAULT_BREAKER_COOLDOWN_MS 30000
#define LLM_DEFAULT_PASSAGES 4
#define LLM_DEFAULT_HISTORY_TURNS 6
#define LLM_DEFAULT_MIN_SIMILARITY 0.75
#define LLM_DEFAULT_BATCH 32

/* Frees the strings (the key is wiped first) and zeroes the struct. */
void llm_config_release(struct llm_config *c);

#endif
