// The fixture's Town: a class with the shape the host looks for in
// production's Town.do.ts — a getter applyActionCtx building the action
// context from the Town's methods — and a queueNudge of its own. Two
// deliberate differences from the port, in side effects: a nudge the
// container refused is marked delivered all the same (send_nudge's rows),
// and stopping an agent writes an analytics data point (stop_agent's).
import { DurableObject } from 'cloudflare:workers';
import * as dispatch from './town/container-dispatch';

type SqlStorage = { exec(query: string, ...bindings: unknown[]): Iterable<Record<string, unknown>> };
type Point = { blobs: string[]; doubles: number[]; indexes: string[] };
type Env = { GASTOWN_AE?: { writeDataPoint(p: Point): void } };

export class TownDO extends DurableObject {
  private sql!: SqlStorage;
  private env!: Env;
  private _townId: string | undefined;

  private get townId(): string {
    return this._townId ?? '';
  }

  private emitEvent(data: { event: string; agentId?: string }): void {
    const blobs = [data.event, '', 'internal', '', '', this.townId, '', data.agentId ?? '', '', '', '', '', '', '', ''];
    this.env.GASTOWN_AE?.writeDataPoint({ blobs, doubles: new Array(11).fill(0), indexes: [data.event] });
  }

  async queueNudge(agentId: string, message: string, opts: { mode: string; priority: string; source: string }): Promise<string> {
    const id = crypto.randomUUID();
    this.sql.exec(
      `INSERT INTO agent_nudges (nudge_id, agent_bead_id, message, mode, priority, source) VALUES (?, ?, ?, ?, ?, ?)`,
      id, agentId, message, opts.mode, opts.priority, opts.source
    );
    await dispatch.sendMessageToAgent(this.env, this.townId, agentId, message);
    // The deliberate difference: delivered whatever the container said.
    this.sql.exec(`UPDATE agent_nudges SET delivered_at = datetime('now') WHERE nudge_id = ?`, id);
    return id;
  }

  private get applyActionCtx() {
    return {
      sql: this.sql,
      townId: this.townId,
      stopAgent: async (agentId: string) => {
        await dispatch.stopAgentInContainer(this.env, this.townId, agentId);
        // The deliberate analytics difference: the port writes no data point.
        this.emitEvent({ event: 'agent.stopped', agentId });
      },
      queueNudge: async (agentId: string, message: string, _tier: string) => {
        await this.queueNudge(agentId, message, { mode: 'immediate', priority: 'urgent', source: 'reconciler' });
      },
      emitEvent: (data: { event: string }) => this.emitEvent(data),
    };
  }
}
