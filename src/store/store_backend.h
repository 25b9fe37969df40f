/* store_backend.h - private: the table of operations a storage back end
 * implements. store.c dispatches to it; only back ends include this file.
 */
#ifndef LK_STORE_BACKEND_H
#define LK_STORE_BACKEND_H

#include "store/store.h"

struct store_ops {
	const char *scheme; /* URL scheme: "sqlite" */
	int (*open)(void **impl, const char *rest, struct lk_err *err);
	void (*close)(void *impl);
	int (*conv_create)(void *impl, const struct store_conv *c, struct lk_err *err);
	int (*conv_get)(void *impl, const char *id, struct store_conv *out, struct lk_err *err);
	int (*conv_delete)(void *impl, const char *id, struct lk_err *err);
	int (*turns_append)(void *impl, const char *conv_id, struct store_turn *turns, size_t n,
			    struct lk_err *err);
	/* Also sets the dialog state (NULL: unchanged, "": cleared) in the same transaction. */
	int (*turns_append_state)(void *impl, const char *conv_id, struct store_turn *turns, size_t n,
				  const char *state, struct lk_err *err);
	int (*conv_state_get)(void *impl, const char *conv_id, char **out, struct lk_err *err);
	int (*turns_list)(void *impl, const char *conv_id, struct store_turns *out,
			  struct lk_err *err);
	int (*feedback_add)(void *impl, const char *conv_id, int64_t seq, int helpful,
			    struct lk_err *err);
	int (*kb_upsert)(void *impl, const char *bot, const struct kb_entries *entries,
			 struct lk_err *err);
	int (*kb_load)(void *impl, const char *bot, struct kb_entries *out, int64_t *generation,
		       struct lk_err *err);
	int (*kb_generation)(void *impl, const char *bot, int64_t *generation, struct lk_err *err);
	/* Optional: a back end without vectors leaves these NULL (LK_EUNSUPPORTED). */
	int (*kb_vectors_put)(void *impl, const char *bot, const char *model,
			      const struct store_vec *v, size_t n, struct lk_err *err);
	int (*kb_vectors_load)(void *impl, const char *bot, const char *model,
			       struct store_vecs *out, struct lk_err *err);
	/* --- built-in backends (src/integrations) ---
	 * Optional: a back end without them leaves these NULL (LK_EUNSUPPORTED).
	 * store.c has checked the arguments described in store.h. */
	int (*idata_seed)(void *impl, const char *bot, const char *version,
			  const struct store_idata *v, size_t n, int *seeded, struct lk_err *err);
	int (*idata_get)(void *impl, const char *bot, const char *kind, const char *key,
			 char **value, struct lk_err *err);
	int (*idata_list)(void *impl, const char *bot, const char *kind, struct store_idatas *out,
			  struct lk_err *err);
	int (*appt_book)(void *impl, const char *bot, const struct store_appt *a, int capacity,
			 struct lk_err *err);
	int (*appt_get)(void *impl, const char *bot, const char *ref, struct store_appt *out,
			struct lk_err *err);
	int (*appt_cancel)(void *impl, const char *bot, const char *ref, int64_t now,
			   struct lk_err *err);
	int (*appt_move)(void *impl, const char *bot, const char *ref, const char *day,
			 int start_min, int end_min, int capacity, int64_t now, struct lk_err *err);
	int (*appt_spans)(void *impl, const char *bot, const char *location, const char *from,
			  const char *to, struct store_appt_spans *out, struct lk_err *err);
	int (*record_add)(void *impl, const char *bot, const struct store_record *r,
			  const char *uniq, struct lk_err *err);
	int (*record_get)(void *impl, const char *bot, const char *ref, struct store_record *out,
			  struct lk_err *err);
	int (*records_in_box)(void *impl, const char *bot, const char *kind, const char *key,
			      const char *status, double lat0, double lat1, double lon0, double lon1,
			      size_t max, struct store_records *out, struct lk_err *err);
	int (*records_count)(void *impl, const char *bot, const char *kind, int64_t lo, int64_t hi,
			     int64_t *counts, struct lk_err *err);
	int (*attachment_put)(void *impl, const char *bot, const struct store_attachment *a,
			      struct lk_err *err);
	int (*attachment_get)(void *impl, const char *bot, const char *id, int with_data,
			      struct store_attachment *out, struct lk_err *err);
	/* --- end of built-in backends --- */
	/* --- messaging channels --- */
	int (*inbox_add)(void *impl, const char *bot, const struct store_inbox_event *ev,
			 struct lk_err *err);
	int (*inbox_done)(void *impl, const char *bot, const char *channel, const char *event_id,
			  struct lk_err *err);
	int (*inbox_pending)(void *impl, const char *bot, struct store_inbox_event **out, size_t *n,
			     size_t max, size_t offset, struct lk_err *err);
	int (*link_get)(void *impl, const char *bot, const char *channel, const char *user,
			char conv_id[STORE_ID_LEN + 1], int64_t *last_inbound, struct lk_err *err);
	int (*link_put)(void *impl, const char *bot, const char *channel, const char *user,
			const char *conv_id, int64_t last_inbound, struct lk_err *err);
	/* --- human handoff: optional (NULL answers LK_EUNSUPPORTED) --- */
	const struct store_handoff_ops *handoff;
};

/* Human handoff (store.h "human handoff"). store.c has checked the
 * arguments described there (non-empty ids, teams a JSON array of strings,
 * limits clamped) and cleared every *out before the call. */
struct store_handoff_ops {
	int (*handoff_open)(void *impl, const char *bot, struct store_handoff *h,
			    struct lk_err *err);
	int (*handoff_active)(void *impl, const char *bot, const char *conv_id,
			      struct store_handoff *out, struct lk_err *err);
	int (*handoff_latest)(void *impl, const char *bot, const char *conv_id,
			      struct store_handoff *out, struct lk_err *err);
	int (*handoff_claim)(void *impl, const char *bot, const char *conv_id, const char *agent,
			     const char *teams, int64_t now_ms, struct store_handoff *out,
			     struct lk_err *err);
	int (*handoff_claim_next)(void *impl, const char *bot, const char *agent, const char *teams,
				  int64_t now_ms, struct store_handoff *out, struct lk_err *err);
	int (*handoff_assign)(void *impl, const char *bot, const char *conv_id, const char *agent,
			      int64_t now_ms, struct store_handoff *out, struct lk_err *err);
	int (*handoff_requeue)(void *impl, const char *bot, const char *conv_id, const char *holder,
			       const char *team, struct store_handoff *out, struct lk_err *err);
	int (*handoff_close)(void *impl, const char *bot, const char *conv_id, const char *holder,
			     const char *outcome, const char *summary, int64_t now_ms,
			     struct store_handoff *out, struct lk_err *err);
	int (*handoff_position)(void *impl, const char *bot, const char *conv_id, int64_t *pos,
				struct lk_err *err);
	int (*handoff_list)(void *impl, const char *bot, const char *status, const char *teams,
			    const char *agent, size_t limit, struct store_handoffs *out,
			    struct lk_err *err);
	int (*handoff_stale)(void *impl, const char *bot, int64_t cutoff_ms,
			     struct store_handoffs *out, struct lk_err *err);
	int (*agent_add)(void *impl, const char *bot, const struct store_agent *a,
			 struct lk_err *err);
	/* by_username 0: key is the id; 1: the username. */
	int (*agent_get)(void *impl, const char *bot, const char *key, int by_username,
			 struct store_agent *out, struct lk_err *err);
	int (*agent_list)(void *impl, const char *bot, struct store_agents *out, struct lk_err *err);
	int (*agent_update)(void *impl, const char *bot, const struct store_agent *a,
			    struct lk_err *err);
	int (*agent_seen)(void *impl, const char *bot, const char *id, int64_t now_ms,
			  struct lk_err *err);
	int (*agent_login_result)(void *impl, const char *bot, const char *id, int ok,
				  int lock_after, int64_t lock_ms, int64_t now_ms, struct lk_err *err);
	int (*session_add)(void *impl, const char *bot, const struct store_session *s,
			   struct lk_err *err);
	int (*session_get)(void *impl, const char *bot, const unsigned char hash[32],
			   struct store_session *out, struct lk_err *err);
	int (*session_touch)(void *impl, const char *bot, const unsigned char hash[32],
			     int64_t expires_ms, struct lk_err *err);
	int (*session_delete)(void *impl, const char *bot, const unsigned char hash[32],
			      struct lk_err *err);
	int (*session_delete_agent)(void *impl, const char *bot, const char *agent_id,
				    struct lk_err *err);
	int (*session_prune)(void *impl, const char *bot, int64_t now_ms, struct lk_err *err);
	int (*audit_add)(void *impl, const char *bot, const struct store_audit *a,
			 struct lk_err *err);
	int (*audit_list)(void *impl, const char *bot, const char *conv_id, int64_t before_id,
			  size_t limit, struct store_audits *out, struct lk_err *err);
	int (*ticket_add)(void *impl, const char *bot, const struct store_ticket *t,
			  struct lk_err *err);
	int (*ticket_list)(void *impl, const char *bot, const char *teams, const char *status,
			   size_t limit, struct store_tickets *out, struct lk_err *err);
	int (*ticket_since)(void *impl, const char *bot, int64_t after_ms, size_t limit,
			    struct store_tickets *out, struct lk_err *err);
	int (*ticket_get)(void *impl, const char *bot, const char *ref, struct store_ticket *out,
			  struct lk_err *err);
	int (*ticket_done)(void *impl, const char *bot, const char *ref, const char *agent,
			   int64_t now_ms, struct lk_err *err);
	int (*link_by_conv)(void *impl, const char *bot, const char *conv_id, char *channel,
			    size_t channel_size, char *user, size_t user_size, int64_t *last_inbound,
			    struct lk_err *err);
};

extern const struct store_ops store_sqlite_ops;

#endif
