// A small action executor with production's applyAction signature, for
// townsim's tests. transition_agent, stop_agent and send_nudge behave as
// the port's (in the fixture's columns; send_nudge's effect is the Town's
// queueNudge, Town.do.ts); poll_pr touches updated_at
// synchronously and polls the PR in its effect. Two deliberate
// differences: transition_agent to idle also clears the agent's hook (the
// port keeps it), and a poll that finds the PR merged closes the bead
// itself (the port queues a pr_status_changed event instead).
type SqlStorage = { exec(query: string, ...bindings: unknown[]): Iterable<Record<string, unknown>> };
type Action = Record<string, unknown> & { type: string };
type Ctx = {
  sql: SqlStorage;
  stopAgent(agentId: string): Promise<void>;
  queueNudge(agentId: string, message: string, tier: string): Promise<void>;
  checkPRStatus(prUrl: string): Promise<{ ok: boolean; result?: { status: string } }>;
  checkPRFeedback(prUrl: string): Promise<unknown>;
  getTownConfig(): Promise<{ refinery?: { auto_resolve_pr_feedback?: boolean; auto_merge?: boolean; auto_merge_delay_minutes?: number | null } }>;
};

export function applyAction(ctx: Ctx, action: Action): (() => Promise<void>) | null {
  const { sql } = ctx;
  switch (action.type) {
    case 'transition_agent': {
      if (action.to === 'idle') {
        sql.exec(`UPDATE agent_metadata SET status = 'idle', current_hook_bead_id = NULL WHERE bead_id = ?`, action.agent_id);
      } else {
        sql.exec(`UPDATE agent_metadata SET status = ? WHERE bead_id = ?`, action.to, action.agent_id);
      }
      return null;
    }
    case 'stop_agent':
      return async () => {
        await ctx.stopAgent(String(action.agent_id));
      };
    case 'send_nudge':
      sql.exec(
        `INSERT INTO agent_nudges (nudge_id, agent_bead_id, message, mode, priority, source, created_at, expires_at) VALUES (?, ?, ?, 'immediate', 'urgent', ?, ?, NULL)`,
        crypto.randomUUID(), action.agent_id, action.message, `reconciler:${String(action.tier)}`, new Date().toISOString()
      );
      return async () => {
        await ctx.queueNudge(String(action.agent_id), String(action.message), String(action.tier));
      };
    case 'poll_pr': {
      sql.exec(`UPDATE beads SET updated_at = ? WHERE bead_id = ?`, new Date().toISOString(), action.bead_id);
      return async () => {
        const outcome = await ctx.checkPRStatus(String(action.pr_url));
        if (outcome.ok && outcome.result?.status === 'merged') {
          sql.exec(`UPDATE beads SET status = 'closed', closed_at = ? WHERE bead_id = ?`, new Date().toISOString(), action.bead_id);
          return;
        }
        // An open PR: its feedback is read when the refinery would act on it.
        const refinery = (await ctx.getTownConfig()).refinery;
        if (refinery?.auto_resolve_pr_feedback || (refinery?.auto_merge && refinery.auto_merge_delay_minutes != null)) {
          await ctx.checkPRFeedback(String(action.pr_url));
        }
      };
    }
  }
  return null;
}
