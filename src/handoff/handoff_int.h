/* handoff_int.h - what the files of the handoff service share (handoff.c:
 * triggers, what the citizen is told, lifecycle; handoff_agent.c: the
 * agents' actions; handoff_watch.c: the background thread). Not for other
 * modules.
 */
#ifndef LK_HANDOFF_INT_H
#define LK_HANDOFF_INT_H

#include "core/buf.h"
#include "handoff/handoff.h"
#include "handoff/handoff_config.h"

#include <pthread.h>
#include <stdatomic.h>

#define TICK_MS 500
#define QUEUE_SHOWN 100      /* waiting conversations listed to an agent at once */
#define LIST_MAX 10000       /* handoffs read at once */
#define PREVIEW_MAX 140      /* bytes of a citizen's message shown in the queue */
#define SUMMARY_QUOTE_MAX 200
#define SEEN_EVERY_MS 1000   /* an agent's requests refresh last_seen at most this often */
#define PRUNE_EVERY_MS (10 * 60 * 1000)
#define ONLINE_EVERY_MS 2000 /* agents online per team, for the wait estimate */

/* An agent with open console streams in this process. */
struct online {
	char id[STORE_AGENT_ID_MAX];
	int streams;
};

struct handoff {
	const struct bot *bot;
	const struct handoff_config *cfg;
	struct store *st;
	struct conv_engine *engine;
	struct conv_handoff ops;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	/* under mu */
	int stopping;
	struct online *online;
	size_t n_online, cap_online;
	unsigned char dirty[HANDOFF_TEAMS_MAX]; /* queue places moved */
	int team_online[HANDOFF_TEAMS_MAX];     /* agents seen within the timeout */
	/* counters */
	atomic_uint_fast64_t started_n, after_hours, claims, timeouts, closed, agent_messages;
	atomic_size_t streams;
};

/* --- small helpers (handoff.c) --- */
const char *ho_bot_of(const struct handoff *h);
/* The agent's teams as the store's filter: NULL (every team) for supervisors. */
const char *ho_teams_filter(const struct store_agent *a);
/* The team's name, or its id for a team gone from bot.yaml. */
const char *ho_team_name(const struct handoff *h, const char *team, const char *lang);
/* The account lists the team / may see it (supervisors see every team). */
int ho_lists_team(const struct store_agent *a, const char *team);
int ho_agent_has_team(const struct store_agent *a, const char *team);
/* The team's queue moved: its waiting citizens learn their place (watch). */
void ho_mark_dirty(struct handoff *h, const char *team);
int ho_online_in_team(struct handoff *h, const char *team);

/* --- events and what the citizen is told (handoff.c) --- */
void ho_publish_queue(struct handoff *h, const char *action, const char *conv_id,
		      const char *team, const char *agent_id);
/* A bot message of kind "handoff" (state: its "handoff", taken over). Caller owns it. */
json_t *ho_notice(struct handoff *h, const char *lang, const char *key, const char *const *vars,
		  json_t *state);
void ho_add_button(struct handoff *h, const char *lang, json_t *msg, const char *label_key,
		   const char *payload);
int ho_wait_minutes(struct handoff *h, const char *team, int64_t pos);
json_t *ho_citizen_state(struct handoff *h, const struct store_handoff *r, const char *lang,
			 int64_t pos, const char *agent_name);
int64_t ho_position_of(struct handoff *h, const char *conv_id);
json_t *ho_queued_notice(struct handoff *h, const struct store_handoff *r, const char *lang,
			 const char *key);
/* Appends msg (taken over) to the conversation as a stored turn; never
 * under the conversation's lock. state as for conv_append(). */
void ho_tell_citizen(struct handoff *h, const char *conv_id, json_t *msg, const char *state);
const char *ho_conv_lang(struct handoff *h, const char *conv_id, struct store_conv *c);
void ho_tell_assigned(struct handoff *h, const struct store_handoff *r, const char *agent_name);
void ho_tell_queued(struct handoff *h, const struct store_handoff *r, const char *key);

/* --- the background thread (handoff_watch.c) --- */
/* Agents seen within the timeout, per team (for the wait estimate). */
void ho_count_online(struct handoff *h, int64_t now);
/* pthread body; runs until h->stopping. */
void *ho_watch_main(void *arg);

#endif
