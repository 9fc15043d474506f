import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, catcher, statusOf } from '../helpers/flows';
import { sampleProblems } from '../../src/model/sample';
import { startModbusSim, type ModbusSim } from '../../src/sim/modbus';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const TAB = { id: 'tab1', type: 'tab', label: 'modbus' };

let rt: TestRuntime;
let sim: ModbusSim;

beforeAll(async () => {
  sim = await startModbusSim({ port: 0, updateMs: 100 });
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
  await sim?.stop();
});

async function until(what: string, fn: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const device = (extra: Record<string, unknown> = {}) => ({
  id: 'dev',
  type: 'plantwire-modbus-device',
  name: 'sim',
  version: 1,
  host: '127.0.0.1',
  port: sim.port,
  unitId: 1,
  timeout: 250,
  resetAfter: 2,
  reconnectMax: 300,
  maxQueue: 100,
  maxRegisters: 125,
  maxBits: 2000,
  maxGap: 0,
  ...extra,
});

const MAP = [
  { tag: 'Line1/Filler/ProductTemperature', address: '0', function: 'input', dataType: 'float32', order: 'ABCD', unit: '°C' },
  { tag: 'Line1/Energy/Power', address: '9', function: 'input', dataType: 'uint16', scale: '0.1', unit: 'kW' },
  { tag: 'Line1/Filler/TemperatureSetpoint', address: '0', function: 'holding', dataType: 'float32' },
  { tag: 'Line1/Recipe', address: '4', function: 'holding', dataType: 'string', length: '8' },
  { tag: 'Line1/RunCommand', address: '0', function: 'coil', dataType: 'bool' },
];

const read = (id: string, extra: Record<string, unknown> = {}, wires: string[][] = [['cap']]) => ({
  id,
  type: 'plantwire-modbus-read',
  z: 'tab1',
  name: '',
  version: 1,
  device: 'dev',
  mapSource: 'table',
  registers: MAP,
  csv: '',
  interval: 150,
  output: 'each',
  changesOnly: false,
  asset: 'acme/hh/bottling/line1',
  x: 200,
  y: 100,
  wires,
  ...extra,
});

const WRITE_MAP = [
  { tag: 'Line1/Filler/TemperatureSetpoint', address: '0', function: 'holding', dataType: 'float32', unit: '°C', writable: true },
  { tag: 'Line1/SpeedSetpoint', address: '2', function: 'holding', dataType: 'uint16', writable: true },
  { tag: 'Line1/Filler/FillVolumeSetpoint', address: '3', function: 'holding', dataType: 'uint16', scale: '0.1', writable: true },
  { tag: 'Line1/Recipe', address: '4', function: 'holding', dataType: 'string', length: '8', writable: true },
  { tag: 'Line1/RunCommand', address: '0', function: 'coil', dataType: 'bool', writable: true },
  { tag: 'Line1/Speed', address: '8', function: 'input', dataType: 'uint16' },
];
const write = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'plantwire-modbus-write',
  z: 'tab1',
  name: '',
  version: 1,
  device: 'dev',
  mapSource: 'table',
  registers: WRITE_MAP,
  csv: '',
  singleRegisterFc: '6',
  x: 400,
  y: 100,
  wires: [['out']],
  ...extra,
});

const inject = (id: string, target: string, payload: string, payloadType = 'str', topic = '') => ({
  id,
  type: 'inject',
  z: 'tab1',
  props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
  payload,
  payloadType,
  topic,
  once: false,
  repeat: '',
  x: 50,
  y: 100,
  wires: [[target]],
});

async function injectNow(id: string): Promise<void> {
  const res = await rt.admin('POST', `/inject/${id}`);
  expect(res.status, `inject ${id}`).toBe(200);
}

describe('plantwire-modbus-read in a real Node-RED runtime against the simulator', () => {
  it('polls the register map: one valid tag sample per tag, decoded, scaled, with unit and asset', async () => {
    await rt.deploy([TAB, device(), read('r1'), capture('cap')]);
    const got = await rt.waitFor('cap', 10);
    const first = got.slice(0, 5).map((c) => c.msg);
    expect(first.map((m) => m.topic)).toEqual(MAP.map((r) => r.tag));
    for (const m of first) {
      expect(sampleProblems(m.payload)).toEqual([]);
      expect(m.payload).toMatchObject({ tag: m.topic, quality: 'good', asset: 'acme/hh/bottling/line1' });
    }
    const by = (tag: string) => first.find((m) => m.topic === tag)!.payload;
    expect(by('Line1/Filler/ProductTemperature').unit).toBe('°C');
    expect(by('Line1/Filler/ProductTemperature').value).toBeGreaterThanOrEqual(3.5);
    expect(by('Line1/Energy/Power').value).toBeGreaterThanOrEqual(85);
    expect(by('Line1/Energy/Power').value).toBeLessThanOrEqual(120);
    expect(by('Line1/Filler/TemperatureSetpoint').value).toBe(4.5);
    expect(by('Line1/Recipe').value).toBe('PILS-0.5L');
    expect(by('Line1/RunCommand').value).toBe(true);
  });

  it('batch mode, polled on input only: answers the input message with every tag', async () => {
    await rt.deploy([TAB, device(), read('r2', { interval: 0, output: 'batch', name: 'line1' }), inject('go', 'r2', 'now'), capture('cap')]);
    await new Promise((r) => setTimeout(r, 300));
    expect(rt.captured('cap'), 'interval 0: nothing until a message arrives').toHaveLength(0);
    await injectNow('go');
    const [m] = await rt.waitFor('cap', 1);
    expect(m!.msg.topic).toBe('line1');
    expect(m!.msg.payload).toHaveLength(5);
    expect(m!.msg.payload.map((s: { quality: string }) => s.quality)).toEqual(['good', 'good', 'good', 'good', 'good']);
  });

  it('asset path read per message (msg of the poll request) or from env for every poll; a bad value is refused once, before the device is asked', async () => {
    process.env.PW_TEST_MODBUS_ASSET = '/acme/env/line7';
    const ask = (id: string, site: string, siteType: string) => ({ ...inject(id, 'rm', 'now'), props: [{ p: 'payload' }, { p: 'site', v: site, vt: siteType }] });
    try {
      await rt.deploy([
        TAB,
        device(),
        read('rm', { interval: 0, output: 'batch', version: 2, asset: 'site', assetType: 'msg' }),
        read('re', { output: 'batch', version: 2, asset: 'PW_TEST_MODBUS_ASSET', assetType: 'env' }, [['cap2']]),
        ask('i-site', 'acme/msg/line3', 'str'),
        ask('i-bad', '7', 'num'),
        ask('i-wild', 'acme/+/line3', 'str'),
        catcher('c', ['rm'], 'errs'),
        statusOf('st', ['rm'], 'status'),
        capture('cap'),
        capture('cap2'),
        capture('errs'),
        capture('status'),
      ]);
      const [e] = await rt.waitFor('cap2', 1);
      expect(e!.msg.payload.map((s: { asset: string }) => s.asset)).toEqual(MAP.map(() => 'acme/env/line7'));
      await injectNow('i-site');
      const [m] = await rt.waitFor('cap', 1);
      expect(m!.msg.payload.map((s: { asset: string }) => s.asset)).toEqual(MAP.map(() => 'acme/msg/line3'));
      await injectNow('i-bad');
      await injectNow('i-wild');
      const errs = await rt.waitFor('errs', 2);
      expect(errs[0]!.msg.error.message).toMatch(/asset path from msg.site must be text, got number/);
      expect(errs[1]!.msg.error.message).toMatch(/asset path "acme\/\+\/line3" from msg.site must not contain \+ or #/);
      await until('red status', () => rt.captured('status').some((c) => c.msg.status.fill === 'red'));
      await new Promise((r) => setTimeout(r, 200));
      expect(rt.captured('errs'), 'each error reaches Catch once').toHaveLength(2);
      expect(rt.captured('cap'), 'refused requests poll nothing').toHaveLength(1);
    } finally {
      delete process.env.PW_TEST_MODBUS_ASSET;
    }
  });

  it('a device that stops answering gives bad-quality samples on every poll, and good ones again when it returns', async () => {
    await rt.deploy([TAB, device(), read('r3', { output: 'batch' }), statusOf('st', ['r3'], 'status'), capture('cap'), capture('status')]);
    await rt.waitFor('cap', 2);
    sim.pause();
    try {
      await until('bad samples', () => rt.captured('cap').some((c) => c.msg.payload.every((s: { quality: string }) => s.quality === 'bad')));
      const badAt = rt.captured('cap').findIndex((c) => c.msg.payload.every((s: { quality: string }) => s.quality === 'bad'));
      const bad = rt.captured('cap')[badAt]!.msg.payload;
      for (const s of bad) {
        expect(sampleProblems(s)).toEqual([]);
        expect(s.value).toBeNull();
        expect(s.statusCode).toMatch(/^(timeout: no answer within 250 ms|not connected: .+)$/);
      }
      // Polls keep coming while the device is silent (bad samples every poll, no pile-up).
      await until('several bad polls', () => rt.captured('cap').slice(badAt).filter((c) => c.msg.payload[0].quality === 'bad').length >= 3);
      await until('red status', () => rt.captured('status').some((c) => c.msg.status.fill === 'red' && /all 5 tags bad/.test(c.msg.status.text)));
    } finally {
      sim.resume();
    }
    const n = rt.captured('cap').length;
    await until('good again', () => rt.captured('cap').slice(n).some((c) => c.msg.payload.every((s: { quality: string }) => s.quality === 'good')));
    await until('green status', () => rt.captured('status').at(-1)?.msg.status.fill === 'green');
  });

  it('with "only changed values", an outage gives one bad sample per tag and the recovery one good sample', async () => {
    const rows = MAP.filter((r) => r.function !== 'input'); // setpoints: constant while nobody writes
    await rt.deploy([TAB, device(), read('r4', { registers: rows, changesOnly: true }), capture('cap')]);
    await rt.waitFor('cap', rows.length);
    await new Promise((r) => setTimeout(r, 500));
    expect(rt.captured('cap'), 'unchanged values are not repeated').toHaveLength(rows.length);
    sim.pause();
    try {
      await rt.waitFor('cap', rows.length * 2);
      expect(rt.captured('cap').slice(rows.length).map((c) => [c.msg.topic, c.msg.payload.quality])).toEqual(rows.map((r) => [r.tag, 'bad']));
      await new Promise((r) => setTimeout(r, 800));
      expect(rt.captured('cap'), 'one bad sample per tag for the whole outage').toHaveLength(rows.length * 2);
    } finally {
      sim.resume();
    }
    await rt.waitFor('cap', rows.length * 3);
    expect(rt.captured('cap').slice(rows.length * 2).map((c) => [c.msg.topic, c.msg.payload.quality])).toEqual(rows.map((r) => [r.tag, 'good']));
  });

  it('a row the device refuses is bad with the exception; the other rows stay good', async () => {
    const rows = [...MAP.slice(0, 2), { tag: 'Nowhere', address: '5000', function: 'holding', dataType: 'uint16' }];
    await rt.deploy([TAB, device(), read('r5', { registers: rows, output: 'batch' }), capture('cap')]);
    const [m] = await rt.waitFor('cap', 1);
    expect(m!.msg.payload.map((s: { tag: string; quality: string; statusCode?: string }) => [s.tag, s.quality, s.statusCode])).toEqual([
      ['Line1/Filler/ProductTemperature', 'good', undefined],
      ['Line1/Energy/Power', 'good', undefined],
      ['Nowhere', 'bad', 'exception 2: Illegal Data Address'],
    ]);
  });

  it('a malformed register map row is refused with a message naming the row; the node stays stopped, the runtime runs on', async () => {
    const bad = [MAP[0], { tag: 'Tank/Level', address: '12', function: 'holding', dataType: 'float16' }];
    await rt.deploy([TAB, device(), read('bad', { registers: bad }), catcher('c', ['bad'], 'errs'), statusOf('st', ['bad'], 'status'), capture('cap'), capture('errs'), capture('status')]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toBe(
      'configuration error: register map row 2 (tag "Tank/Level"): dataType must be one of bool, int16, uint16, int32, uint32, float32, float64, string, got "float16"',
    );
    const statuses = await rt.waitFor('status', 1);
    expect(statuses.at(-1)!.msg.status).toMatchObject({ fill: 'red', shape: 'ring', text: 'register map row 2: bad dataType' });
    await new Promise((r) => setTimeout(r, 400));
    expect(rt.captured('cap'), 'a node with a bad map reads nothing').toHaveLength(0);
    expect((await rt.admin('GET', '/settings')).status).toBe(200);
  });

  it('a malformed CSV row is refused naming the row and the CSV line', async () => {
    const csv = 'tag;address;function;dataType\nA;0;input;float32\n# comment\nB;1x;input;uint16\n';
    await rt.deploy([TAB, device(), read('badcsv', { mapSource: 'csv', csv }), catcher('c', ['badcsv'], 'errs'), capture('errs')]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/register map row 2 \(CSV line 4, tag "B"\): address must be a whole number from 0 to 65535/);
  });

  it('no device selected, or a device with a bad host: a clear configuration error', async () => {
    await rt.deploy([
      TAB,
      device({ id: 'badhost', host: 'http://plc' }),
      read('nodev', { device: '' }),
      read('badhostread', { device: 'badhost' }),
      catcher('c', ['nodev', 'badhostread'], 'errs'),
      capture('errs'),
    ]);
    const errs = await rt.waitFor('errs', 2);
    const bySource = Object.fromEntries(errs.map((e) => [e.msg.error.source.id, e.msg.error.message]));
    expect(bySource.nodev).toMatch(/device: no Modbus device selected; pick or add one/);
    expect(bySource.badhostread).toMatch(/device: the Modbus device "sim" is misconfigured: .*host must be a host name or IP address/);
    expect(rt.logs.some((l) => /host must be a host name or IP address/.test(l.msg))).toBe(true);
  });

  it('opens the connection with the first user and closes it after the last', async () => {
    await rt.deploy([TAB, device(), read('r6'), capture('cap')]);
    await rt.waitFor('cap', 5);
    // (Connections of earlier tests may take a moment to be seen closed.)
    await until('one connection', () => sim.connections === 1);
    await rt.deploy([TAB, device(), capture('cap')]);
    await until('connection closed', () => sim.connections === 0);
  });
});

describe('plantwire-modbus-write in a real Node-RED runtime against the simulator', () => {
  it('writes a plain value with msg.topic, an object of tags, a tag sample; passes the message on with msg.written', async () => {
    await rt.deploy([
      TAB,
      device(),
      write('w1'),
      inject('i-plain', 'w1', '6.75', 'num', 'Line1/Filler/TemperatureSetpoint'),
      inject('i-obj', 'w1', '{"Line1/SpeedSetpoint":"580","Line1/Filler/FillVolumeSetpoint":330.5,"Line1/RunCommand":false}', 'json'),
      inject('i-sample', 'w1', '{"tag":"Line1/Recipe","value":"WEISS-0.33","quality":"good","sourceTimestamp":"2026-01-01T00:00:00.000Z"}', 'json'),
      statusOf('st', ['w1'], 'status'),
      capture('out'),
      capture('status'),
    ]);
    await injectNow('i-plain');
    const [a] = await rt.waitFor('out', 1);
    expect(a!.msg.written).toEqual([{ tag: 'Line1/Filler/TemperatureSetpoint', value: 6.75, request: 'unit 1 FC16 write registers 0..1' }]);
    expect(a!.msg.payload).toBe(6.75);
    await injectNow('i-obj');
    const [, b] = await rt.waitFor('out', 2);
    expect(b!.msg.written.map((w: { request: string }) => w.request)).toEqual(['unit 1 FC6 write register 2', 'unit 1 FC6 write register 3', 'unit 1 FC5 write coil 0']);
    await injectNow('i-sample');
    await rt.waitFor('out', 3);
    const u = sim.unit(1);
    expect(Buffer.from(new Uint16Array([u.holding[1]!, u.holding[0]!]).buffer).readFloatLE(0)).toBe(6.75);
    expect([u.holding[2], u.holding[3], u.coils[0]]).toEqual([580, 3305, 0]);
    expect(Buffer.from(Array.from(u.holding.subarray(4, 12)).flatMap((w) => [w >> 8, w & 0xff])).toString('latin1').replace(/\0+$/, '')).toBe('WEISS-0.33');
    const statuses = await rt.waitFor('status', 3);
    expect(statuses.at(-1)!.msg.status).toMatchObject({ fill: 'green', text: 'Line1/Recipe = "WEISS-0.33"' });
  });

  it('refuses unknown, read-only and out-of-range tags and bad-quality samples with an error for Catch; a bad message writes nothing', async () => {
    sim.unit(1).holding[2] = 600;
    await rt.deploy([
      TAB,
      device(),
      write('w2'),
      inject('i-unknown', 'w2', '1', 'num', 'Line9/Nope'),
      inject('i-ro', 'w2', '1', 'num', 'Line1/Speed'),
      inject('i-range', 'w2', '{"Line1/SpeedSetpoint":590,"Line1/Filler/FillVolumeSetpoint":7000}', 'json'),
      inject('i-badq', 'w2', '{"tag":"Line1/SpeedSetpoint","value":1,"quality":"bad","sourceTimestamp":"2026-01-01T00:00:00.000Z"}', 'json'),
      inject('i-type', 'w2', 'fast', 'str', 'Line1/SpeedSetpoint'),
      catcher('c', ['w2'], 'errs'),
      statusOf('st', ['w2'], 'status'),
      capture('out'),
      capture('errs'),
      capture('status'),
    ]);
    for (const i of ['i-unknown', 'i-ro', 'i-range', 'i-badq', 'i-type']) await injectNow(i);
    const errs = await rt.waitFor('errs', 5);
    // Node-RED reports done(err) as err.toString(), hence the class name in front.
    expect(errs.map((e) => e.msg.error.message)).toEqual([
      'payload: tag "Line9/Nope" is not in the register map (writable tags: Line1/Filler/TemperatureSetpoint, Line1/SpeedSetpoint, Line1/Filler/FillVolumeSetpoint, Line1/Recipe, Line1/RunCommand)',
      'payload: tag "Line1/Speed" is not writable: tick "writable" for its row in the register map (coils and holding registers only)',
      'tag "Line1/Filler/FillVolumeSetpoint": 70000 is out of range for uint16 (0..65535) after scale 0.1 / offset 0',
      'payload (Line1/SpeedSetpoint) has quality "bad": a bad-quality value is never written to a device',
      'tag "Line1/SpeedSetpoint" is uint16: send a number, got "fast"',
    ]);
    expect(sim.unit(1).holding[2], 'the valid entry of the refused message was not written either').toBe(600);
    expect(rt.captured('out')).toHaveLength(0);
    expect(rt.captured('status').at(-1)!.msg.status).toMatchObject({ fill: 'red', shape: 'ring' });
    await new Promise((r) => setTimeout(r, 200));
    expect(rt.captured('errs'), 'each error reaches Catch once').toHaveLength(5);
  });

  it('a write while the device does not answer fails with an error naming the tag (no hang)', async () => {
    await rt.deploy([
      TAB,
      device(),
      write('w3'),
      inject('i', 'w3', '5', 'num', 'Line1/Filler/TemperatureSetpoint'),
      catcher('c', ['w3'], 'errs'),
      statusOf('st', ['w3'], 'status'),
      capture('errs'),
      capture('out'),
      capture('status'),
    ]);
    await until('connected', () => rt.captured('status').some((c) => /^connected /.test(c.msg.status.text)));
    sim.pause();
    try {
      await injectNow('i');
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(/^writing "Line1\/Filler\/TemperatureSetpoint" failed: unit 1 FC16 write registers 0..1: no answer within 250 ms$/);
    } finally {
      sim.resume();
    }
    expect(rt.captured('out')).toHaveLength(0);
  });

  it('a map without writable rows is a configuration error', async () => {
    await rt.deploy([TAB, device(), write('w4', { registers: [{ tag: 'a', address: '0', function: 'holding' }] }), catcher('c', ['w4'], 'errs'), capture('errs')]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/register map has no writable row/);
  });
});

describe('register map admin route (CSV import/export in the dialogs)', () => {
  it('converts CSV to rows and rows to CSV; a malformed row gets a 400 naming it; read-only users are refused', async () => {
    await rt.deploy([TAB, device(), capture('cap')]);
    const ok = await rt.admin<{ rows: Array<{ tag: string }>; csv: string }>('POST', '/plantwire/modbus/register-map', { csv: 'tag,address,function,dataType\nA,0,holding,float32\n' });
    expect(ok.status).toBe(200);
    expect(ok.body.rows).toEqual([{ tag: 'A', address: 0, function: 'holding', dataType: 'float32', order: 'ABCD', length: 2, scale: 1, offset: 0, writable: false }]);
    expect(ok.body.csv).toBe('tag,address,function,dataType,order,length,bit,scale,offset,unit,unitId,writable\nA,0,holding,float32,ABCD,,,,,,,\n');
    const back = await rt.admin<{ csv: string }>('POST', '/plantwire/modbus/register-map', { rows: ok.body.rows });
    expect(back.body.csv).toBe(ok.body.csv);
    const bad = await rt.admin<{ error: string }>('POST', '/plantwire/modbus/register-map', { csv: 'tag,address\nA,0\nB,x\n' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^register map row 2 \(CSV line 3, tag "B"\): address must be/);
    const token = await rt.token(READER);
    const reader = await fetch(`${rt.url}/plantwire/modbus/register-map`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"csv":""}' });
    expect(reader.status).toBe(401);
  });
});
