/**
 * The health check after a deploy, read from the editor's comms websocket
 * (the same events the editor shows):
 * - the flows started: `notification/runtime-deploy` with the new revision
 *   (Node-RED sends it once every node was created and started), and no
 *   `notification/runtime-state` error (missing types or modules, safe mode);
 * - no error was logged during a grace period (`debug` messages of level 20:
 *   node.error, a failed node constructor, done(err));
 * - no Plantwire node ends the grace period with a red status;
 * - every node type the flows use is registered and enabled (GET /nodes).
 */
import type { AdminClient, Comms, CommsMessage } from './admin-client';
import { nodeTypesNeeded } from './core-types';
import type { FlowNode } from './types';

export interface HealthOptions {
  /** How long errors and red status are watched after the flows started. */
  graceMs: number;
  /** How long the flows may take to start. */
  startTimeoutMs: number;
}

export interface HealthReport {
  healthy: boolean;
  started: boolean;
  problems: string[];
}

interface LogData {
  level?: number;
  id?: string;
  type?: string;
  name?: string;
  msg?: unknown;
}

/** The text of an error as comms encodes it (`{"__enc__":true,"type":"error","data":{message}}`). */
export function errorText(msg: unknown): string {
  if (typeof msg === 'string') {
    if (msg.startsWith('{"__enc__"')) {
      try {
        const enc = JSON.parse(msg) as { data?: { message?: string } | string };
        if (typeof enc.data === 'string') return enc.data;
        if (enc.data?.message) return enc.data.message;
      } catch {
        /* as is */
      }
    }
    return msg;
  }
  if (msg && typeof msg === 'object' && typeof (msg as { message?: unknown }).message === 'string') return (msg as { message: string }).message;
  return JSON.stringify(msg);
}

function label(node: FlowNode | undefined, id: string | undefined, type?: string, name?: string): string {
  const t = node?.type ?? type ?? 'node';
  const n = (node?.name as string | undefined) || name;
  return `${t}${n ? ` "${n}"` : ''}${id ? ` (${id})` : ''}`;
}

/**
 * Starts watching before a deploy: asks for the retained runtime
 * notifications and waits until they arrived, so every later message on the
 * socket is live (comms sends retained messages in order on subscribe).
 * Returns the sequence number from which messages belong to the deploy.
 */
export async function markBoundary(comms: Comms, timeoutMs = 5_000): Promise<number> {
  const from = comms.nextSeq;
  comms.subscribe('status/#');
  comms.subscribe('notification/#');
  await comms.waitFor((m) => m.topic.startsWith('notification/runtime-'), Date.now() + timeoutMs, from);
  return comms.nextSeq;
}

/** Checks a deploy of `flows` that Node-RED answered with revision `rev`. */
export async function checkHealth(client: AdminClient, comms: Comms, fromSeq: number, rev: string, flows: FlowNode[], opts: HealthOptions): Promise<HealthReport> {
  const problems: string[] = [];
  const byId = new Map(flows.map((n) => [n.id, n]));

  const startedMsg = await comms.waitFor(
    (m) => (m.topic === 'notification/runtime-deploy' && (m.data as { revision?: string })?.revision === rev) || (m.topic === 'notification/runtime-state' && Boolean((m.data as { error?: string })?.error)),
    Date.now() + opts.startTimeoutMs,
    fromSeq,
  );
  let started = false;
  if (!startedMsg) {
    problems.push(`the flows did not report "started" within ${Math.round(opts.startTimeoutMs / 1000)} s`);
  } else if (startedMsg.topic === 'notification/runtime-state') {
    const d = startedMsg.data as { error?: string; types?: string[]; modules?: Array<{ module: string; error?: string }> };
    if (d.error === 'missing-types') problems.push(`the flows did not start: node types missing on the target: ${(d.types ?? []).join(', ')}`);
    else if (d.error === 'missing-modules') problems.push(`the flows did not start: modules missing on the target: ${(d.modules ?? []).map((m) => `${m.module}${m.error ? ` (${m.error})` : ''}`).join(', ')}`);
    else problems.push(`the flows did not start: ${d.error}`);
  } else {
    started = true;
    await new Promise((r) => setTimeout(r, opts.graceMs));
  }

  const after = comms.messages.filter((m) => m.seq >= fromSeq);
  problems.push(...loggedErrors(after, byId));
  if (started) problems.push(...redPlantwireStatus(after, byId));
  problems.push(...(await missingTypes(client, flows)));
  return { healthy: problems.length === 0, started, problems };
}

function loggedErrors(messages: CommsMessage[], byId: Map<string, FlowNode>): string[] {
  const out: string[] = [];
  for (const m of messages) {
    if (m.topic !== 'debug') continue;
    const d = m.data as LogData;
    if (d?.level !== 20) continue;
    out.push(`${label(d.id ? byId.get(d.id) : undefined, d.id, d.type, d.name)} logged an error: ${errorText(d.msg)}`);
  }
  return [...new Set(out)];
}

function redPlantwireStatus(messages: CommsMessage[], byId: Map<string, FlowNode>): string[] {
  const last = new Map<string, { fill?: string; text?: string }>();
  for (const m of messages) if (m.topic.startsWith('status/')) last.set(m.topic.slice(7), m.data as { fill?: string; text?: string });
  const out: string[] = [];
  for (const [id, status] of last) {
    const node = byId.get(id);
    if (node?.type.startsWith('plantwire-') && status?.fill === 'red') out.push(`${label(node, id)} shows a red status: ${status.text ?? ''}`.trim());
  }
  return out;
}

async function missingTypes(client: AdminClient, flows: FlowNode[]): Promise<string[]> {
  const sets = await client.nodeSets();
  const enabled = new Set(sets.filter((s) => s.enabled && !s.err).flatMap((s) => s.types));
  const missing = nodeTypesNeeded(flows).filter((t) => !enabled.has(t));
  return missing.length ? [`node types not registered and enabled on the target: ${missing.join(', ')}`] : [];
}
