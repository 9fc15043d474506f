/**
 * Fault injection for plantwire-email-out (its retry queue is the durable
 * buffer): the SMTP server (smtp-server, started and stopped by the test on a
 * fixed port) unreachable for a while — in "a mail per message" mode and in
 * digest mode — and the Node-RED process killed with SIGKILL while mails are
 * queued on disk. The receiver parses every mail back (mailparser) and reads
 * the samples from its CSV attachment: (tag, value = sequence number).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, emailOut, smtpServerNode, statusOf, TAB } from '../helpers/flows';
import { startInstance, type Instance } from '../helpers/node-red-instance';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { check, generate, generatorNodes, range, seqs, sinkMetrics, until, type Received, type SinkAdapter } from './harness';

const NODE_RED_JS = path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js');

let server: SMTPServer | null = null;
let port = 0;
let got: Received[] = [];
let mails = 0;

async function up(): Promise<void> {
  const s = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, cb) {
      simpleParser(stream).then(
        (mail) => {
          mails += 1;
          const csv = mail.attachments.find((a) => a.contentType.startsWith('text/csv'));
          for (const line of (csv?.content.toString('utf8') ?? '').trim().split('\r\n').slice(1)) {
            const [tag, value, , , time] = line.split(',');
            got.push({ tag: tag!, seq: Number(value), sourceTimestamp: time! });
          }
          cb();
        },
        (err: Error) => cb(err),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  port = (s.server.address() as AddressInfo).port;
  server = s;
}

async function down(): Promise<void> {
  const s = server;
  server = null;
  if (s) await new Promise<void>((r) => s.close(() => r()));
}

let mode: Record<string, unknown> = {};
const emailAdapter: SinkAdapter = {
  kind: 'email-out',
  // Rate limit high enough that each message is its own mail (or one digest per second in digest mode).
  nodes: (buffer) => [smtpServerNode('smtp', port), emailOut('sink', 'smtp', { rateCount: 100_000, ratePeriod: 60, maxRows: 10, ...mode, ...buffer })],
  down,
  up,
  received: () => got,
  reset: () => {
    got = [];
    mails = 0;
  },
};

const unique = (): number => new Set(got.map((r) => r.seq)).size;

beforeAll(async () => {
  await up();
});
afterAll(async () => {
  await down();
});

describe('email-out retry queue under faults (in-process Node-RED)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => {
    await rt?.stop();
  });


  it('1. SMTP server unreachable for a while, then back (a mail per message): every accepted alarm delivered once, in order', async () => {
    emailAdapter.reset('unreachable');
    mode = { mode: 'each' };
    await rt.deploy([TAB, ...emailAdapter.nodes({ bufferMode: 'disk' }), ...generatorNodes('accepted', 'refused'), capture('accepted'), capture('refused'), statusOf('st', ['sink'], 'status'), capture('status')]);
    await rt.admin('POST', '/inject/go', generate(0, 20));
    await until(() => unique() >= 20, 'live mails delivered', 30_000);
    await emailAdapter.down();
    await rt.admin('POST', '/inject/go', generate(20, 60));
    await rt.waitFor('accepted', 80, 30_000);
    await until(() => rt.captured('status').some((c) => /^buffering \d+ — /.test(c.msg.status?.text ?? '')), 'status says buffering');
    expect((await sinkMetrics(rt)).depth).toBeGreaterThan(0);
    await emailAdapter.up();
    await rt.admin('POST', '/inject/go', generate(80, 20));
    await until(() => unique() >= 100, 'all delivered after recovery', 60_000);
    await until(async () => (await sinkMetrics(rt)).depth === 0, 'queue drained');
    const m = await sinkMetrics(rt);
    expect(rt.captured('refused')).toEqual([]);
    check({ scenario: 'SMTP server unreachable then back', kind: 'email-out', sent: range(0, 100), accepted: seqs(rt.captured('accepted')), received: got, dropped: m.dropped, expectedDropped: 0, expectedDelivered: range(0, 100) });
    expect(got.length, 'no duplicates').toBe(100);
  }, 120_000);

  it('1d. SMTP server unreachable during an alarm storm in digest mode: all 300 alarms arrive, in a few mails', async () => {
    emailAdapter.reset('digest');
    mode = { mode: 'digest', digestSeconds: 1 };
    await emailAdapter.down();
    await rt.deploy([TAB, ...emailAdapter.nodes({ bufferMode: 'disk' }), ...generatorNodes('accepted', 'refused'), capture('accepted'), capture('refused')]);
    await rt.admin('POST', '/inject/go', generate(0, 300));
    await rt.waitFor('accepted', 300, 30_000);
    await until(async () => (await sinkMetrics(rt)).depth >= 1, 'the digest queued while the server is down');
    await emailAdapter.up();
    await until(() => unique() >= 300, 'all alarms delivered', 60_000);
    await until(async () => (await sinkMetrics(rt)).depth === 0, 'queue drained');
    check({ scenario: 'digest during an outage', kind: 'email-out', sent: range(0, 300), accepted: seqs(rt.captured('accepted')), received: got, dropped: 0, expectedDropped: 0, expectedDelivered: range(0, 300) });
    expect(mails).toBeLessThanOrEqual(2);
  }, 120_000);
});

describe('email-out: Node-RED killed with SIGKILL while mails are queued', () => {
  let userDir: string;
  let nr: Instance | undefined;
  beforeAll(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-faults-email-'));
  });
  afterAll(async () => {
    await nr?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('2. restarted with the same user dir, the queued mails are sent', async () => {
    emailAdapter.reset('sigkill');
    mode = { mode: 'each' };
    await emailAdapter.down();
    const acceptedFile = path.join(userDir, 'accepted.txt');
    nr = await startInstance({ label: 'faults-email', node: process.execPath, redJs: NODE_RED_JS, userDir });
    expect((await nr.admin('POST', '/flows', childFlows(acceptedFile), { 'Node-RED-Deployment-Type': 'full' })).status).toBe(204);
    const depth = async (): Promise<number | null> => {
      const r = await nr!.admin<{ depth: number }>('GET', '/plantwire/buffer/sink');
      return r.status === 200 ? r.body.depth : null;
    };
    await until(async () => (await depth()) !== null, 'queue registered', 30_000);
    expect((await nr.admin('POST', '/inject/go', generate(0, 50))).status).toBe(200);
    await until(async () => (await depth()) === 50, '50 mails queued', 30_000);
    await until(() => fs.existsSync(acceptedFile) && fs.readFileSync(acceptedFile, 'utf8').trim().split('\n').length >= 50, 'accepted log written', 30_000);
    await nr.kill();
    const accepted = fs.readFileSync(acceptedFile, 'utf8').trim().split('\n').map(Number);
    expect(accepted.length).toBe(50);

    await emailAdapter.up();
    nr = await startInstance({ label: 'faults-email-restarted', node: process.execPath, redJs: NODE_RED_JS, userDir });
    await until(() => unique() >= 50, 'queued mails sent after the restart', 60_000);
    await until(async () => (await depth()) === 0, 'queue drained');
    check({ scenario: 'SIGKILL while queued, restart', kind: 'email-out', sent: range(0, 50), accepted, received: got, dropped: 0, expectedDropped: 0, expectedDelivered: range(0, 50) });
  }, 150_000);

  it('2d. killed inside a digest window: the waiting alarms (kept on disk) are mailed after the restart', async () => {
    await nr?.stop();
    nr = undefined;
    emailAdapter.reset('sigkill-digest');
    mode = { mode: 'digest', digestSeconds: 3600 };
    const dir = path.join(userDir, 'digest');
    const acceptedFile = path.join(dir, 'accepted.txt');
    nr = await startInstance({ label: 'faults-email-digest', node: process.execPath, redJs: NODE_RED_JS, userDir: dir });
    expect((await nr.admin('POST', '/flows', childFlows(acceptedFile), { 'Node-RED-Deployment-Type': 'full' })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 500));
    expect((await nr.admin('POST', '/inject/go', generate(0, 40))).status).toBe(200);
    await until(() => fs.existsSync(acceptedFile) && fs.readFileSync(acceptedFile, 'utf8').trim().split('\n').length >= 40, 'accepted log written', 30_000);
    await nr.kill();
    const accepted = fs.readFileSync(acceptedFile, 'utf8').trim().split('\n').map(Number);
    expect(accepted.length).toBe(40);
    expect(got.length, 'nothing mailed before the digest was due').toBe(0);
    nr = await startInstance({ label: 'faults-email-digest-restarted', node: process.execPath, redJs: NODE_RED_JS, userDir: dir });
    await until(() => unique() >= 40, 'the waiting alarms mailed after the restart', 60_000);
    check({ scenario: 'SIGKILL inside a digest window, restart', kind: 'email-out', sent: range(0, 40), accepted, received: got, dropped: 0, expectedDropped: 0, expectedDelivered: range(0, 40) });
    expect(mails).toBe(1);
  }, 150_000);
});

/** The flow for the child Node-RED: generator → email-out (disk queue); each accepted message's number is appended to `acceptedFile`. */
function childFlows(acceptedFile: string): unknown[] {
  return [
    TAB,
    ...emailAdapter.nodes({ bufferMode: 'disk' }),
    ...generatorNodes('seq', 'seq').filter((n) => n.type !== 'catch'),
    { id: 'seq', type: 'change', z: 'tab1', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'payload.value', tot: 'msg' }], x: 250, y: 200, wires: [['log']] },
    { id: 'log', type: 'file', z: 'tab1', filename: acceptedFile, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', x: 400, y: 200, wires: [] },
  ];
}
