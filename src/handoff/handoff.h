/* handoff.h - the human handoff service: when a citizen is passed to a
 * colleague, the queue per team, claims, transfers, giving back, closing
 * with a summary, what the citizen is told on the way, and the audit trail.
 *
 * The store is the truth (handoffs, agents, audit, tickets): every claim is
 * one conditional write, so of two agents (on any instance) exactly one
 * wins. The service plugs into the conversation engine (conv.h's struct
 * conv_handoff) to take a citizen's messages while a person has the
 * conversation and to start a handoff when a trigger fires; its agents act
 * through the functions below (the agent API in src/http/http_agent.c).
 *
 * A background thread keeps agents with an open console "online", gives
 * the conversations of agents who vanished back to the queue after
 * handoff.agent_timeout_s, and tells waiting citizens when their place in
 * the queue moves.
 *
 * All functions are safe from any thread. Results are jansson objects the
 * caller owns.
 */
#ifndef LK_HANDOFF_H
#define LK_HANDOFF_H

#include "conv/bot.h"
#include "conv/conv.h"
#include "core/err.h"
#include "store/store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct handoff;

/* The bot must have a `handoff:` section (bot_handoff() != NULL). Borrowed
 * arguments must outlive the service. Plugs itself into the engine
 * (conv_engine_use_handoff). Caller frees with handoff_free() before the
 * engine. */
int handoff_new(struct handoff **out, const struct bot *bot, struct store *st,
		struct conv_engine *engine, struct lk_err *err);
void handoff_free(struct handoff *h);

/* --- agents (a = the logged-in agent, from agent_session_check) ---
 * Errors: LK_EPERM (another team's conversation, or a role that may not do
 * this), LK_ENOTFOUND (no such conversation or handoff), LK_EEXIST with
 * reason "already_claimed" (someone else was first) or "not_holder" (the
 * agent does not hold the conversation), LK_EINVAL (bad input). */

/* Marks the agent as reachable now (every request of theirs). */
void handoff_agent_seen(struct handoff *h, const struct store_agent *a);
/* An open console stream keeps its agent online; close it when it ends. */
void handoff_agent_stream_open(struct handoff *h, const char *agent_id);
void handoff_agent_stream_close(struct handoff *h, const char *agent_id);
/* The event keys an agent's console subscribes to (conv_events of the
 * engine): one per team it sees. Returns the count (<= max). */
size_t handoff_event_keys(struct handoff *h, const struct store_agent *a, char keys[][48],
			  size_t max);

/* {"teams":[{"id","name","names":{lang:name},"open","waiting","assigned"}],"canned","agent_timeout_s"} */
json_t *handoff_overview(struct handoff *h, const struct store_agent *a);
/* {"waiting":[H],"waiting_total","mine":[H],"assigned":[H]} */
int handoff_queue(struct handoff *h, const struct store_agent *a, json_t **out,
		  struct lk_err *err);
/* conv_id NULL: the oldest waiting conversation of the agent's teams
 * (LK_ENOTFOUND reason "queue_empty" when none). *out: {"handoff":H}. */
int handoff_claim(struct handoff *h, const struct store_agent *a, const char *conv_id,
		  json_t **out, struct lk_err *err);
/* {"conversation","messages","flow","handoff","summary_draft"} */
int handoff_conversation(struct handoff *h, const struct store_agent *a, const char *conv_id,
			 json_t **out, struct lk_err *err);
/* Access check alone (the conversation's event stream). */
int handoff_can_see(struct handoff *h, const struct store_agent *a, const char *conv_id,
		    struct lk_err *err);
/* The agent's reply; *out {"message":M}. */
int handoff_send(struct handoff *h, const struct store_agent *a, const char *conv_id,
		 const char *text, json_t **out, struct lk_err *err);
/* Tells the citizen the agent is typing. */
int handoff_typing(struct handoff *h, const struct store_agent *a, const char *conv_id,
		   struct lk_err *err);
int handoff_transfer(struct handoff *h, const struct store_agent *a, const char *conv_id,
		     const char *team, json_t **out, struct lk_err *err);
/* Back to the queue of the same team. */
int handoff_release(struct handoff *h, const struct store_agent *a, const char *conv_id,
		    struct lk_err *err);
/* Back to the bot. */
int handoff_return(struct handoff *h, const struct store_agent *a, const char *conv_id,
		   struct lk_err *err);
#define HANDOFF_SUMMARY_MAX 4000 /* bytes of a summary an agent writes */

/* summary NULL or blank: the service writes one. *out {"summary"}. */
int handoff_close(struct handoff *h, const struct store_agent *a, const char *conv_id,
		  const char *summary, json_t **out, struct lk_err *err);
/* Supervisors and admins: give the conversation to agent_id. */
int handoff_assign(struct handoff *h, const struct store_agent *a, const char *conv_id,
		   const char *agent_id, json_t **out, struct lk_err *err);

/* Tickets left after hours: status "open", "done" or NULL (all). */
int handoff_tickets(struct handoff *h, const struct store_agent *a, const char *status,
		    json_t **out, struct lk_err *err);
int handoff_ticket_done(struct handoff *h, const struct store_agent *a, const char *ref,
			struct lk_err *err);
/* Supervisors and admins. conv_id may be NULL; before_id 0: newest. */
int handoff_audit_list(struct handoff *h, const struct store_agent *a, const char *conv_id,
		       int64_t before_id, size_t limit, json_t **out, struct lk_err *err);
/* Writes one audit row (actor: an agent id or "system"). */
void handoff_audit(struct handoff *h, const char *actor, const char *action, const char *conv_id,
		   const char *team, const char *detail);
/* 1 when the agent was seen within the timeout. */
int handoff_agent_online(struct handoff *h, const struct store_agent *a);

/* 1 for "supervisor" and "admin". */
int handoff_is_supervisor(const struct store_agent *a);

/* --- counters (for /metrics) --- */
struct handoff_stats {
	uint64_t started;     /* citizens queued */
	uint64_t after_hours; /* handoffs asked for outside office hours */
	uint64_t claims;
	uint64_t timeouts;    /* conversations given back because their agent vanished */
	uint64_t closed;
	uint64_t agent_messages;
	size_t streams;       /* open agent console streams */
};
void handoff_stats(struct handoff *h, struct handoff_stats *out);
/* Appends the Prometheus lines: the counters above and, per team, the
 * conversations waiting and held by an agent now. */
struct buf;
void handoff_metrics(struct handoff *h, struct buf *out);

#endif
