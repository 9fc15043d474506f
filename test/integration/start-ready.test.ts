/**
 * `npm start` accepts requests only once Node-RED has started, as stock
 * Node-RED does (it listens after RED.start() resolves). A client that logs
 * in and reads the flows from the first moment the port opens — an editor
 * tab reconnecting while `npm start` restarts, an Admin API script — must
 * never see a 5xx, "Node-RED runtime not started" or an error line in the
 * log. Five starts on the same workspace (the first seeds the demo, the
 * others restart on it), each probed from before the port opens.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';

const PASSWORD = 'start-ready-password';
const STARTS = 5;
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-start-ready-'));

afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }));

/** A port that is free now (the OS picks it); the CLI is then told to use it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Probe {
  /** Every answer seen, in order: `POST /auth/token 200`, `GET /flows 200` … */
  answers: string[];
  flowsCount: number;
}

/** Logs in and reads /flows as soon as the port accepts a connection; retries only refused connections. */
async function probe(url: string, stopAt: number): Promise<Probe> {
  const answers: string[] = [];
  for (;;) {
    if (Date.now() > stopAt) throw new Error(`the port did not open in time; answers so far: ${answers.join(', ')}`);
    let token: string;
    try {
      const res = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'admin', password: PASSWORD }),
      });
      const text = await res.text();
      answers.push(`POST /auth/token ${res.status}${res.status === 200 ? '' : ` ${text.slice(0, 200)}`}`);
      if (res.status !== 200) return { answers, flowsCount: -1 };
      token = (JSON.parse(text) as { access_token: string }).access_token;
    } catch (err) {
      const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      // Connection refused: the port is not open yet. Ask again at once.
      if (code === 'ECONNREFUSED') {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      answers.push(`POST /auth/token failed: ${code ?? String(err)}`);
      return { answers, flowsCount: -1 };
    }
    const flows = await fetch(`${url}/flows`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    const text = await flows.text();
    answers.push(`GET /flows ${flows.status}${flows.status === 200 ? '' : ` ${text.slice(0, 200)}`}`);
    const parsed = flows.status === 200 ? (JSON.parse(text) as unknown[]) : [];
    return { answers, flowsCount: parsed.length };
  }
}

describe('npm start answers only once Node-RED has started', () => {
  it(`${STARTS} starts: login and GET /flows from the first open moment → 200 with the demo, no 5xx, no error line`, async () => {
    const demoCount = (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'flows', 'demo.json'), 'utf8')) as unknown[]).length;
    for (let i = 1; i <= STARTS; i++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      let output = '';
      const child = spawn(
        process.execPath,
        [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), 'start', '--port', String(port), '--opcua-port', '0', '--modbus-port', '0', '--erp-port', '0', '--smtp-port', '0', '--workspace', workspace],
        { cwd: PACKAGE_ROOT, env: { ...process.env, PLANTWIRE_ADMIN_USER: 'admin', PLANTWIRE_ADMIN_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        // The probe starts before the process has even loaded: it sees the very first moment the port opens.
        // Up to 3 min for the port to open: seconds when idle, but a CI machine under load took over 90 s.
        const seen = await probe(url, Date.now() + 180_000);
        expect(seen.answers, `start ${i}: what the client saw\n${output.slice(-3000)}`).toEqual(['POST /auth/token 200', 'GET /flows 200']);
        expect(seen.flowsCount, `start ${i}: /flows holds the demo`).toBe(demoCount);
        // Let the demo's first messages and connections happen before the log is read.
        await new Promise((r) => setTimeout(r, 1_000));
        const errors = output.split('\n').filter((l) => /\[error\]|runtime not started|TypeError/i.test(l));
        expect(errors, `start ${i}: error lines in the log\n${output.slice(-3000)}`).toEqual([]);
        expect(output, `start ${i}: the banner`).toContain(`Plantwire is running: ${url}/`);
      } catch (err) {
        child.kill('SIGKILL');
        await exited;
        throw err;
      }
      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      expect(code, `start ${i}: clean exit on SIGINT\n${output.slice(-2000)}`).toBe(0);
    }
  }, 900_000);
});
