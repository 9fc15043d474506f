/**
 * Helpers for the OPC UA node tests: flow snippets for the OPC UA nodes and a
 * polling wait (no fixed sleeps: the machine is shared and slow at times).
 */
import type { TestRuntime } from './runtime';

export const TAB = { id: 'tab1', type: 'tab', label: 'opcua test' };

export function endpoint(id: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-opcua-endpoint',
    name: '',
    version: 1,
    url,
    securityMode: 'None',
    securityPolicy: 'None',
    allowDeprecated: false,
    auth: 'anonymous',
    userCertificate: '',
    userPrivateKey: '',
    maxMessageSizeMB: 16,
    reconnectInitialMs: 500,
    reconnectMaxMs: 5000,
    requestTimeoutMs: 10000,
    sessionTimeoutMs: 60000,
    maxItemsPerCall: 200,
    ...extra,
  };
}

export function opcuaIn(id: string, ep: string, tags: unknown[], extra: Record<string, unknown> = {}, wires: string[][] = [['cap']]): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-opcua-in',
    z: 'tab1',
    name: '',
    version: 1,
    endpoint: ep,
    tags,
    publishingInterval: 200,
    samplingInterval: 100,
    queueSize: 10,
    deadbandType: 'none',
    deadbandValue: 0,
    output: 'batch',
    units: true,
    x: 300,
    y: 100,
    wires,
    ...extra,
  };
}

export function node(type: string, id: string, ep: string, extra: Record<string, unknown>, wires: string[][] = [['cap']]): Record<string, unknown> {
  return { id, type, z: 'tab1', name: '', version: 1, endpoint: ep, x: 300, y: 200, wires, ...extra };
}

export { capture, catcher, statusOf } from './flows';

/** An inject node; `props` beyond payload (e.g. topic, action) as [name, value, type]. */
export function inject(id: string, target: string, payload: unknown, payloadType = 'json', props: Array<[string, string, string]> = []): Record<string, unknown> {
  return {
    id,
    type: 'inject',
    z: 'tab1',
    props: [{ p: 'payload' }, ...props.map(([p, v, vt]) => ({ p, v, vt }))],
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    payloadType,
    once: false,
    repeat: '',
    x: 50,
    y: 100,
    wires: [[target]],
  };
}

export async function injectNow(rt: TestRuntime, id: string): Promise<void> {
  const res = await rt.admin('POST', `/inject/${id}`);
  if (res.status !== 200) throw new Error(`inject ${id}: HTTP ${res.status}`);
}

/** Polls until `check` returns a value (not undefined/false) or the time is up. */
export async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
