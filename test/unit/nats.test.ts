/**
 * The NATS connector's pure parts: settings, subjects from the UNS template, de-duplication ids, subject matching;
 * and the connection as a Connector on the kit's supervisor, against a closed loopback port (no service needed).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { NatsLink, subjectMatches } from '../../src/connectors/nats/connection';
import type { ConnectionState } from '../../src/model/status';
import { renderSample, sampleMsgId, sampleSubject, subjectTokens } from '../../src/connectors/nats/publish';
import { natsConnectionSettings, natsInSettings, natsOutSettings, streamSettings, subjectProblems } from '../../src/connectors/nats/settings';
import { makeSample } from '../../src/model/sample';

const s = makeSample('Filler/Temp.PV', 21.5, { asset: 'acme/hamburg/bottling/line 1', sourceTimestamp: Date.UTC(2026, 0, 5) });

describe('NATS settings', () => {
  it('servers: defaults, several, bare host:port; credentials: user+password or token', () => {
    expect(natsConnectionSettings({}).servers).toEqual(['nats://127.0.0.1:4222']);
    expect(natsConnectionSettings({ servers: 'nats-1:4222, tls://nats-2:4222' })).toMatchObject({ servers: ['nats://nats-1:4222', 'tls://nats-2:4222'], tls: {} });
    expect(natsConnectionSettings({}, { user: 'u', password: 'p' })).toMatchObject({ user: 'u', pass: 'p' });
    expect(natsConnectionSettings({}, { token: 't' })).toMatchObject({ token: 't' });
    expect(() => natsConnectionSettings({}, { user: 'u', token: 't' })).toThrow(/either a user .* or a token/);
    expect(() => natsConnectionSettings({}, { password: 'p' })).toThrow(/password needs a user/);
    expect(() => natsConnectionSettings({ servers: 'http://x:80/path' })).toThrow(/not a NATS server URL/);
  });

  it('stream: defaults and checks', () => {
    expect(streamSettings({})).toEqual({ name: 'PLANTWIRE', subjects: ['uns.>'], retention: 'limits', storage: 'file', replicas: 1, maxAgeMs: 7 * 24 * 3_600_000, duplicateWindowMs: 120_000 });
    expect(() => streamSettings({ stream: 'a.b' })).toThrow(/not a stream name/);
    expect(() => streamSettings({ subjects: 'uns.>.x' })).toThrow(/> only the last/);
    expect(() => streamSettings({ retention: 'forever' })).toThrow(/retention must be one of/);
    expect(() => streamSettings({ replicas: 7 })).toThrow(/replicas must be at most 5/);
  });

  it('out and in: templates, modes, limits', () => {
    expect(natsOutSettings({})).toMatchObject({ template: 'uns.{asset}.{tag}', payload: 'sample', dedup: true, ackTimeoutMs: 5000 });
    expect(() => natsOutSettings({ subject: 'uns.>' })).toThrow(/wildcards \* or >/);
    expect(() => natsOutSettings({ subject: 'uns.{plant}' })).toThrow(/unknown placeholder \{plant\}/);
    expect(() => natsOutSettings({ subject: 'uns..{tag}' })).toThrow(/empty token/);
    expect(natsInSettings({})).toMatchObject({ durable: 'plantwire', ackMode: 'node', ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 10_000, inFlight: 1000, nakDelayMs: 1000, deliverFrom: 'all', json: true });
    expect(() => natsInSettings({ ackMode: 'later' })).toThrow(/acknowledge must be/);
    expect(() => natsInSettings({ filter: 'a..b' })).toThrow(/empty token/);
    expect(subjectProblems('a.*.>', true)).toEqual([]);
    expect(subjectProblems('a.*', false)).toHaveLength(1);
  });
});

describe('NATS subjects and de-duplication ids', () => {
  it('turns asset and tag paths into tokens; dots, spaces and wildcards inside a level become _', () => {
    expect(subjectTokens('acme/hh/line 1/Temp.PV>')).toBe('acme.hh.line_1.Temp_PV_');
    expect(sampleSubject('uns.{asset}.{tag}', s)).toBe('uns.acme.hamburg.bottling.line_1.Filler.Temp_PV');
    expect(sampleSubject('plant.{site}.{line}.{tag}', s)).toBe('plant.hamburg.line_1.Filler.Temp_PV');
    expect(() => sampleSubject('uns.{cell}.{tag}', s)).toThrow(/no cell level/);
    expect(sampleSubject('uns.{asset}.{tag}', makeSample('T', 1), { defaultAsset: 'acme/x' })).toBe('uns.acme.x.T');
  });

  it('the id is the sample key (asset, tag, source timestamp); long or odd keys are hashed', () => {
    expect(sampleMsgId(s)).toBe('acme/hamburg/bottling/line 1|Filler/Temp.PV|2026-01-05T00:00:00.000Z');
    expect(sampleMsgId({ ...s, value: 99 })).toBe(sampleMsgId(s));
    expect(sampleMsgId({ ...s, sourceTimestamp: '2026-01-05T00:00:00.001Z' })).not.toBe(sampleMsgId(s));
    expect(sampleMsgId({ ...s, tag: 'x'.repeat(300) })).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(sampleMsgId({ ...s, tag: 'a\nb' })).toMatch(/^sha256:/);
    expect(renderSample(s, 'uns.{tag}', 'compact', false)).toEqual({ subject: 'uns.Filler.Temp_PV', payload: JSON.stringify({ value: 21.5, quality: 'good', timestamp: s.sourceTimestamp }) });
  });

  it('matches subjects against stream filters', () => {
    expect(subjectMatches('uns.>', 'uns.a.b')).toBe(true);
    expect(subjectMatches('uns.>', 'uns')).toBe(false);
    expect(subjectMatches('uns.*.b', 'uns.a.b')).toBe(true);
    expect(subjectMatches('uns.*', 'uns.a.b')).toBe(false);
    expect(subjectMatches('uns.a', 'uns.a')).toBe(true);
  });
});

describe('NATS connection on the connection kit', () => {
  it('a refused first connect rejects start(): the supervisor shows it in red on every user, logs the outage once and retries', async () => {
    // A port nobody listens on: bind one, note it, close it.
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const logs: string[] = [];
    const owner = { warn: (m: string) => logs.push(`warn ${m}`), log: (m: string) => logs.push(`log ${m}`) };
    const link = new NatsLink(owner, natsConnectionSettings({ servers: `nats://127.0.0.1:${port}` }));
    const states: ConnectionState[] = [];
    link.onState((st) => states.push(st));
    const shown: Array<{ fill?: string; text?: string }> = [];
    const user = { id: 'u1', status: (st: { fill?: string; text?: string }) => void shown.push(st) };
    try {
      link.users.register(user as never);
      const deadline = Date.now() + 5000;
      while (!states.some((st) => st.phase === 'retrying') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(states[0]).toMatchObject({ phase: 'connecting', text: `connecting to nats://127.0.0.1:${port}` });
      expect(link.state.phase).toBe('retrying');
      expect(link.connected).toBe(false);
      expect(await link.connectedWithin(100)).toBe(false);
      // The supervisor's red status on the user, the connection's own words.
      await new Promise((r) => setTimeout(r, 50));
      expect(shown.at(-1)).toMatchObject({ fill: 'red' });
      expect(logs.filter((l) => l.startsWith('log')).length).toBe(1);
    } finally {
      await link.close();
    }
    expect(link.state).toEqual({ phase: 'stopped', text: 'disconnected' });
  });
});
