/**
 * The MQTT connection against a real broker (Mosquitto on :1883, else an
 * embedded aedes): persistent sessions keep QoS 1 messages for a
 * disconnected subscriber (MQTT 3.1.1 and 5), a clean session does not;
 * shared subscriptions split a stream (Mosquitto only: aedes has no $share).
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../src/connectors/mqtt/connection';
import { brokerSettings } from '../../src/connectors/mqtt/options';
import { closeClient, sharedBroker, testClient, uniquePrefix, until, type TestBroker } from '../helpers/mqtt';

let broker: TestBroker;
let pub: MqttClient;
const prefix = uniquePrefix('session');

beforeAll(async () => {
  broker = await sharedBroker();
  pub = await testClient(broker.url);
});
afterAll(async () => {
  await closeClient(pub);
  await broker?.stop();
});

/** Opens a connection with a handler on `filter`; resolves once the broker acknowledged the subscription. */
async function subscriber(opts: Parameters<typeof brokerSettings>[0], filter: string, got: string[]): Promise<MqttConnection> {
  const conn = new MqttConnection(brokerSettings({ url: broker.url, reconnectPeriod: 500, ...opts }));
  await new Promise<void>((resolve, reject) => {
    conn.subscribe(filter, (_t, payload) => void got.push(payload.toString()), { qos: 1, onSubscribed: resolve, onError: reject });
    conn.open().catch(reject);
  });
  return conn;
}

/** Ends a persistent session for good (a clean-session connect with the same client id discards it). */
async function discardSession(clientId: string, protocolVersion: 4 | 5): Promise<void> {
  const c = await testClient(broker.url, { clientId, clean: true, protocolVersion, ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}) });
  await closeClient(c);
}

describe(`MQTT sessions on ${'the test broker'}`, () => {
  const versions = [4, 5] as const;
  for (const v of versions) {
    it(`MQTT ${v === 4 ? '3.1.1' : '5'}: QoS 1 messages published while a persistent-session subscriber is away arrive after it reconnects`, async (ctx) => {
      if (v === 5 && broker.kind !== 'mosquitto') ctx.skip('MQTT 5 needs Mosquitto (the embedded aedes speaks 3.1.1)');
      const clientId = `pw-persist-${v}-${prefix.slice(-8)}`;
      const topic = `${prefix}/v${v}/persistent`;
      const got: string[] = [];
      try {
        const first = await subscriber({ clean: false, clientId, protocolVersion: v, sessionExpiry: 300 }, `${topic}/#`, got);
        await pub.publishAsync(`${topic}/a`, 'before', { qos: 1 });
        await until(() => got.length === 1, 'the message sent while connected');
        await first.end(); // clean DISCONNECT: the broker keeps the session
        for (let i = 1; i <= 5; i++) await pub.publishAsync(`${topic}/a`, `away-${i}`, { qos: 1 });
        const again: string[] = [];
        const second = await subscriber({ clean: false, clientId, protocolVersion: v, sessionExpiry: 300 }, `${topic}/#`, again);
        await until(() => again.length >= 5, 'the queued messages', 10_000);
        expect(again).toEqual(['away-1', 'away-2', 'away-3', 'away-4', 'away-5']);
        await second.end();
      } finally {
        await discardSession(clientId, v);
      }
    });
  }

  it('a clean session does not get what was published while it was away (the control case)', async () => {
    const clientId = `pw-clean-${prefix.slice(-8)}`;
    const topic = `${prefix}/clean`;
    const got: string[] = [];
    const first = await subscriber({ clean: true, clientId }, `${topic}/#`, got);
    await first.end();
    await pub.publishAsync(`${topic}/a`, 'away', { qos: 1 });
    const again: string[] = [];
    const second = await subscriber({ clean: true, clientId }, `${topic}/#`, again);
    await pub.publishAsync(`${topic}/a`, 'after', { qos: 1 });
    await until(() => again.length >= 1, 'the message published after reconnecting');
    expect(again).toEqual(['after']);
    await second.end();
  });

  it('shared subscriptions ($share/group/filter) split one stream between subscribers, each message once', async (ctx) => {
    if (broker.kind !== 'mosquitto') ctx.skip('shared subscriptions need Mosquitto (aedes has no $share)');
    const topic = `${prefix}/shared`;
    const a: string[] = [];
    const b: string[] = [];
    const ca = await subscriber({}, `$share/pw-group/${topic}/#`, a);
    const cb = await subscriber({}, `$share/pw-group/${topic}/#`, b);
    try {
      for (let i = 0; i < 20; i++) await pub.publishAsync(`${topic}/m`, String(i), { qos: 1 });
      await until(() => a.length + b.length >= 20, 'all 20 messages');
      await new Promise((r) => setTimeout(r, 200));
      expect([...a, ...b].map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(a.length, 'both members got a share').toBeGreaterThan(0);
      expect(b.length, 'both members got a share').toBeGreaterThan(0);
    } finally {
      await ca.end();
      await cb.end();
    }
  });

  it('reports a refused connection with a readable reason and keeps retrying', async () => {
    const conn = new MqttConnection(brokerSettings({ url: 'mqtt://127.0.0.1:1', reconnectPeriod: 200 }));
    const states: string[] = [];
    conn.on('state', (s: { text: string }) => states.push(s.text));
    await conn.open();
    let attempts = 0;
    conn.raw!.on('reconnect', () => void (attempts += 1));
    await until(() => states.some((s) => /connection refused: is the broker running\?/.test(s)), 'refused state');
    await until(() => attempts >= 2, 'retries');
    expect(states.filter((s) => /refused/.test(s)), 'one state for the same failure, not one per retry').toHaveLength(1);
    await conn.end();
    expect(conn.state.state).toBe('closed');
  });
});
