/* handoff_watch.c - the handoff service's background thread: keeps agents
 * with an open console online, gives the conversations of agents who
 * vanished back to the queue after agent_timeout_s, tells waiting citizens
 * their new place when their queue moves, announces new tickets to the
 * consoles, and prunes expired sessions.
 */
#include "handoff/handoff_int.h"

#include "core/clock.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* the background thread                                               */

/* Agents with an open console are alive: their last_seen moves on. */
static void refresh_online(struct handoff *h, int64_t now)
{
	char (*ids)[STORE_AGENT_ID_MAX] = NULL;
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = h->n_online;
	if (n) {
		ids = xcalloc(n, sizeof(*ids));
		for (size_t i = 0; i < n; i++)
			memcpy(ids[i], h->online[i].id, STORE_AGENT_ID_MAX);
	}
	pthread_mutex_unlock(&h->mu);
	for (size_t i = 0; i < n; i++)
		store_agent_seen(h->st, ho_bot_of(h), ids[i], now, NULL);
	free(ids);
}

/* How many agents of each team were seen within the timeout. */
void ho_count_online(struct handoff *h, int64_t now)
{
	struct store_agents l;
	int counts[HANDOFF_TEAMS_MAX] = {0};
	int64_t cutoff = now - (int64_t)handoff_agent_timeout_s(h->cfg) * 1000;

	if (store_agent_list(h->st, ho_bot_of(h), &l, NULL))
		return;
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].disabled || l.v[i].last_seen_ms < cutoff)
			continue;
		for (size_t t = 0; t < handoff_team_count(h->cfg) && t < HANDOFF_TEAMS_MAX; t++)
			if (ho_lists_team(&l.v[i], handoff_team_id(h->cfg, t)))
				counts[t]++;
	}
	store_agents_release(&l);
	pthread_mutex_lock(&h->mu);
	memcpy(h->team_online, counts, sizeof(counts));
	pthread_mutex_unlock(&h->mu);
}

/* Conversations of agents who vanished go back to the queue. */
static void requeue_stale(struct handoff *h, int64_t now)
{
	struct store_handoffs l = {0};
	int64_t cutoff = now - (int64_t)handoff_agent_timeout_s(h->cfg) * 1000;

	if (store_handoff_stale(h->st, ho_bot_of(h), cutoff, &l, NULL))
		return;
	for (size_t i = 0; i < l.n; i++) {
		struct store_handoff moved;

		memset(&moved, 0, sizeof(moved));
		if (!store_handoff_requeue(h->st, ho_bot_of(h), l.v[i].conv_id, l.v[i].agent, NULL,
					   &moved, NULL)) {
			atomic_fetch_add(&h->timeouts, 1);
			handoff_audit(h, "system", "timeout", l.v[i].conv_id, l.v[i].team, l.v[i].agent);
			ho_publish_queue(h, "timeout", l.v[i].conv_id, l.v[i].team, l.v[i].agent);
			ho_mark_dirty(h, l.v[i].team);
			ho_tell_queued(h, &moved, "handoff_requeued");
		}
		store_handoff_release(&moved);
	}
	store_handoffs_release(&l);
}

/* Consoles hear of questions left after hours (made by the flow's
 * tickets.create, on any instance) within a second or two. */
static void announce_tickets(struct handoff *h, int64_t *since_ms)
{
	struct store_tickets l = {0};
	int64_t newest = *since_ms;

	if (store_ticket_since(h->st, ho_bot_of(h), *since_ms, 1000, &l, NULL))
		return;
	for (size_t i = 0; i < l.n; i++) {
		const struct store_ticket *t = &l.v[i];
		json_t *ev;
		char *text, key[48];

		if (t->created_ms <= *since_ms)
			continue;
		if (t->created_ms > newest)
			newest = t->created_ms;
		ev = json_pack("{s:s, s:s}", "ref", t->ref, "team", t->team);
		text = json_dumps(ev, JSON_COMPACT);
		json_decref(ev);
		if (!text)
			continue;
		if (*t->team) {
			snprintf(key, sizeof(key), "q:%s", t->team);
			conv_events_publish(conv_engine_events(h->engine), key, "ticket", 0, text);
		} else {
			for (size_t k = 0; k < handoff_team_count(h->cfg); k++) {
				snprintf(key, sizeof(key), "q:%s", handoff_team_id(h->cfg, k));
				conv_events_publish(conv_engine_events(h->engine), key, "ticket", 0, text);
			}
		}
		conv_events_publish(conv_engine_events(h->engine), "q:*", "ticket", 0, text);
		free(text);
	}
	*since_ms = newest;
	store_tickets_release(&l);
}

/* Waiting citizens of teams whose queue moved learn their new place. */
static void publish_places(struct handoff *h)
{
	unsigned char dirty[HANDOFF_TEAMS_MAX];

	pthread_mutex_lock(&h->mu);
	memcpy(dirty, h->dirty, sizeof(dirty));
	memset(h->dirty, 0, sizeof(h->dirty));
	pthread_mutex_unlock(&h->mu);
	for (size_t t = 0; t < handoff_team_count(h->cfg) && t < HANDOFF_TEAMS_MAX; t++) {
		struct store_handoffs l = {0};
		char teams[64];

		if (!dirty[t])
			continue;
		snprintf(teams, sizeof(teams), "[\"%s\"]", handoff_team_id(h->cfg, t));
		if (store_handoff_list(h->st, ho_bot_of(h), "waiting", teams, NULL, LIST_MAX, &l, NULL))
			continue;
		for (size_t i = 0; i < l.n; i++) {
			json_t *ev = json_pack("{s:s, s:s, s:I, s:i}", "status", "waiting", "team",
					       l.v[i].team, "position", (json_int_t)(i + 1),
					       "wait_minutes",
					       ho_wait_minutes(h, l.v[i].team, (int64_t)i + 1));
			char *text = json_dumps(ev, JSON_COMPACT);

			if (text)
				conv_events_publish(conv_engine_events(h->engine), l.v[i].conv_id,
						    "handoff", 0, text);
			free(text);
			json_decref(ev);
		}
		store_handoffs_release(&l);
	}
}

void *ho_watch_main(void *arg)
{
	struct handoff *h = arg;
	int64_t timeout_ms = (int64_t)handoff_agent_timeout_s(h->cfg) * 1000;
	int64_t seen_every = timeout_ms / 3 < 1000 ? 500 : timeout_ms / 3;
	int64_t last_seen = 0, last_count = 0, last_prune = 0;
	/* tickets carry whole seconds (the flows' clock): from the start of this one */
	int64_t tickets_since = lk_now_ms() / 1000 * 1000 - 1;

	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		struct timespec until;
		int64_t now;

		lk_deadline_ms(&until, TICK_MS);
		pthread_cond_timedwait(&h->cond, &h->mu, &until);
		if (h->stopping)
			break;
		pthread_mutex_unlock(&h->mu);
		now = lk_now_ms();
		if (now - last_seen >= seen_every) {
			refresh_online(h, now);
			last_seen = now;
		}
		if (now - last_count >= ONLINE_EVERY_MS) {
			ho_count_online(h, now);
			last_count = now;
		}
		requeue_stale(h, now);
		publish_places(h);
		announce_tickets(h, &tickets_since);
		if (now - last_prune >= PRUNE_EVERY_MS) {
			store_session_prune(h->st, ho_bot_of(h), now, NULL);
			last_prune = now;
		}
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}
