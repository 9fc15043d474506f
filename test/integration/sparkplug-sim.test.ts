/**
 * `plantwire sim sparkplug` as a user runs it: edge node Line1 with a device
 * per machine publishes NBIRTH, DBIRTHs and data to the broker (Mosquitto,
 * else an embedded aedes); Ctrl-C publishes its NDEATH with the birth's bdSeq.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { tahuDecode } from '../helpers/sparkplug-tahu';
import { closeClient, sharedBroker, testClient, until, type TestBroker } from '../helpers/mqtt';

let broker: TestBroker;
let spy: MqttClient;
let child: ChildProcess | undefined;
const group = `PWsim${crypto.randomBytes(3).toString('hex')}`;
const seen: Array<{ topic: string; payload: ReturnType<typeof tahuDecode> }> = [];

beforeAll(async () => {
  broker = await sharedBroker();
  spy = await testClient(broker.url);
  spy.on('message', (topic, payload) => void seen.push({ topic, payload: tahuDecode(payload) }));
  await spy.subscribeAsync(`spBv1.0/${group}/#`, { qos: 1 });
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await closeClient(spy);
  await broker?.stop();
});

describe('plantwire sim sparkplug (CLI)', () => {
  it('publishes NBIRTH, a DBIRTH per machine and data; Ctrl-C publishes the NDEATH with the same bdSeq', async () => {
    let output = '';
    child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), 'sim', 'sparkplug', '--broker', broker.url, '--group', group, '--interval-ms', '200'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await until(() => /Sparkplug edge node .*\/Line1 \(devices Rinser, Filler, Capper, Pasteurizer, Labeller, Inspector, Energy, Alarms; 26 metrics\) publishing to/.test(output), `the start line (output so far: ${output})`, 15_000);
    await until(() => seen.some((m) => m.topic.startsWith(`spBv1.0/${group}/DDATA/Line1/`)), 'device data', 15_000);
    const nbirth = seen.find((m) => m.topic === `spBv1.0/${group}/NBIRTH/Line1`)!;
    expect(nbirth.payload.metrics!.map((m) => m.name)).toEqual(['bdSeq', 'Node Control/Rebirth', 'State', 'Speed']);
    const dbirths = seen.filter((m) => m.topic.startsWith(`spBv1.0/${group}/DBIRTH/Line1/`)).map((m) => m.topic.split('/').at(-1));
    expect(dbirths).toEqual(['Rinser', 'Filler', 'Capper', 'Pasteurizer', 'Labeller', 'Inspector', 'Energy', 'Alarms']);
    const filler = seen.find((m) => m.topic.endsWith('/DBIRTH/Line1/Filler'))!.payload.metrics!;
    expect(filler.find((m) => m.name === 'FillCount')!.type).toBe('UInt32');
    expect(filler.find((m) => m.name === 'ProductTemperature')!.value).toEqual(expect.any(Number));

    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
    expect(code, output).toBe(0);
    await until(() => seen.some((m) => m.topic === `spBv1.0/${group}/NDEATH/Line1`), 'NDEATH');
    const death = seen.find((m) => m.topic === `spBv1.0/${group}/NDEATH/Line1`)!.payload;
    expect(Number(death.metrics![0]!.value)).toBe(Number(nbirth.payload.metrics![0]!.value));
  });
});
