/**
 * plantwire-asset-map, -validate and -map in a real Node-RED runtime:
 * outputs, bad input to Catch, bad configuration, admin routes (permission,
 * parse/check/preview).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, catcher, fn, injectDate as injectGo, injectValue as inject, statusOf } from '../helpers/flows';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const TAB = { id: 'tab1', type: 'tab', label: 'test' };
const T0 = '2026-01-05T08:00:00.000Z';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
  for (const deadline = Date.now() + 20_000; !rt.logs.some((l) => l.msg === 'Started flows') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
});
afterAll(async () => {
  await rt?.stop();
});

type Node = Record<string, unknown>;
const node = (id: string, type: string, extra: Node, wires: string[][]): Node => ({ id, type, z: 'tab1', name: '', version: 1, x: 300, y: 100, wires, ...extra });
const sample = (tag: string, value: unknown, extra: Node = {}): Node => ({ tag, value, quality: 'good', sourceTimestamp: T0, ...extra });
async function fire(id: string): Promise<void> {
  const res = await rt.admin('POST', `/inject/${id}`);
  expect(res.status, `inject ${id}`).toBe(200);
}
const common = [capture('out'), capture('out2'), capture('errs'), capture('status')];

async function expectOneError(injectId: string, message: RegExp): Promise<void> {
  rt.clear();
  await fire(injectId);
  const [err] = await rt.waitFor('errs', 1);
  expect(err!.msg.error.message).toMatch(message);
  await expect.poll(() => rt.captured('status').some((s) => s.msg.status.fill === 'red')).toBe(true);
  await new Promise((r) => setTimeout(r, 150));
  expect(rt.captured('errs')).toHaveLength(1);
  expect(rt.captured('out')).toHaveLength(0);
}

describe('plantwire-asset-map in a real runtime', () => {
  const rules = [
    { match: 'Line1/Filler/Speed', enterprise: 'acme', site: 'hh', area: 'bottling', line: 'line1', cell: 'filler', name: 'speed' },
    { match: 'Line1/Filler/**', enterprise: 'acme', site: 'hh', area: 'bottling', line: 'line1', cell: 'filler' },
  ];

  it('sets asset and the UNS topic; unmapped samples go to output 2; batches stay batches or split', async () => {
    await rt.deploy([
      TAB,
      node('am', 'plantwire-asset-map', { rules, output: 'keep' }, [['out'], ['out2']]),
      node('am2', 'plantwire-asset-map', { rules, output: 'each' }, [['out'], ['out2']]),
      inject('one', sample('Line1/Filler/Speed', 380), 'am'),
      inject('none', sample('Utilities/Air', 7), 'am'),
      inject('batch', [sample('Line1/Filler/Temp/PV', 4), sample('Utilities/Air', 7), sample('Line1/Filler/Speed', 381)], 'am', 'plc'),
      inject('batch2', [sample('Line1/Filler/Temp/PV', 4), sample('Line1/Filler/Speed', 381)], 'am2', 'plc'),
      ...common,
    ]);
    await fire('one');
    const [one] = await rt.waitFor('out', 1);
    expect(one!.msg.topic).toBe('acme/hh/bottling/line1/filler/speed');
    expect(one!.msg.payload).toEqual({ ...sample('Line1/Filler/Speed', 380), asset: 'acme/hh/bottling/line1/filler' });
    await fire('none');
    const [none] = await rt.waitFor('out2', 1);
    expect(none!.msg.payload.tag).toBe('Utilities/Air');
    rt.clear();
    await fire('batch');
    const [b] = await rt.waitFor('out', 1);
    expect(b!.msg.topic).toBe('plc');
    expect(b!.msg.topics).toEqual(['acme/hh/bottling/line1/filler/Temp/PV', 'acme/hh/bottling/line1/filler/speed']);
    expect(b!.msg.payload.map((s: Node) => s.asset)).toEqual(['acme/hh/bottling/line1/filler', 'acme/hh/bottling/line1/filler']);
    expect((await rt.waitFor('out2', 1))[0]!.msg.payload.map((s: Node) => s.tag)).toEqual(['Utilities/Air']);
    rt.clear();
    await fire('batch2');
    const each = await rt.waitFor('out', 2);
    expect(each.map((e) => e.msg.topic)).toEqual(['acme/hh/bottling/line1/filler/Temp/PV', 'acme/hh/bottling/line1/filler/speed']);
  });

  it('bad input → Catch; a bad table keeps the node inert with the row named', async () => {
    await rt.deploy([
      TAB,
      node('am', 'plantwire-asset-map', { rules }, [['out'], ['out2']]),
      node('bad', 'plantwire-asset-map', { rules: [{ match: 'a', enterprise: 'acme', line: 'l1' }] }, [['out'], ['out2']]),
      inject('nots', { tag: 'Line1/Filler/Speed', value: 1, quality: 'good' }, 'am'),
      injectGo('nan-go', 'nan'),
      fn('nan', 'return { topic: "Line1/Filler/Speed", payload: NaN };', 'am'),
      catcher('c', ['am', 'bad']),
      statusOf('s', ['am', 'bad']),
      ...common,
    ]);
    const [cfg] = await rt.waitFor('errs', 1);
    expect(cfg!.msg.error.message).toMatch(/asset table: row 1: line is set but site is empty/);
    await expectOneError('nots', /payload\.sourceTimestamp must be an ISO 8601 string, got nothing/);
    await expectOneError('nan-go', /payload must be a finite number, got NaN/);
  });

  it('admin route parses CSV/JSON imports (write permission) and names the bad line', async () => {
    const ok = await rt.admin<{ rules: unknown[] }>('POST', '/plantwire/asset-map/parse', { text: 'match;enterprise;site\nLine1/**;acme;hh' });
    expect(ok.status).toBe(200);
    expect(ok.body.rules).toEqual([{ match: 'Line1/**', enterprise: 'acme', site: 'hh' }]);
    const bad = await rt.admin<{ error: string }>('POST', '/plantwire/asset-map/parse', { text: 'match,enterprise\n"a,acme' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/CSV line 2: a quoted cell is not closed/);
    const reader = await fetch(`${rt.url}/plantwire/asset-map/parse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await rt.token(READER)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a,b' }),
    });
    expect(reader.status).toBe(401);
  });
});

describe('plantwire-validate in a real runtime', () => {
  const schema = JSON.stringify({ type: 'object', required: ['quantity'], properties: { quantity: { type: 'number', minimum: 0 }, unit: { enum: ['PC', 'KG'] } } });

  it('valid → output 1; invalid → output 2 with the failing paths; arrays element by element', async () => {
    await rt.deploy([
      TAB,
      node('v', 'plantwire-validate', { schema, property: 'payload', each: false, onInvalid: 'output' }, [['out'], ['out2']]),
      node('ve', 'plantwire-validate', { schema, property: 'payload', each: true, onInvalid: 'output' }, [['out'], ['out2']]),
      inject('good', { quantity: 5, unit: 'PC' }, 'v'),
      inject('bad', { quantity: -1, unit: 'pieces' }, 'v'),
      inject('arr', [{ quantity: 1 }, { quantity: 'x' }, { quantity: 2 }], 've'),
      ...common,
    ]);
    await fire('good');
    expect((await rt.waitFor('out', 1))[0]!.msg.payload).toEqual({ quantity: 5, unit: 'PC' });
    await fire('bad');
    const [bad] = await rt.waitFor('out2', 1);
    expect(bad!.msg.validationErrors.map((e: Node) => [e.instancePath, e.keyword])).toEqual([
      ['/quantity', 'minimum'],
      ['/unit', 'enum'],
    ]);
    rt.clear();
    await fire('arr');
    expect((await rt.waitFor('out', 1))[0]!.msg.payload).toEqual([{ quantity: 1 }, { quantity: 2 }]);
    const [arrBad] = await rt.waitFor('out2', 1);
    expect(arrBad!.msg.payload).toEqual([{ quantity: 'x' }]);
    expect(arrBad!.msg.validationErrors[0]).toMatchObject({ index: 1, instancePath: '/quantity', message: 'must be number' });
  });

  it('invalid → Catch with path and message when configured; a schema typo keeps the node inert', async () => {
    await rt.deploy([
      TAB,
      node('v', 'plantwire-validate', { schema, property: 'payload', onInvalid: 'catch' }, [['out'], ['out2']]),
      node('typo', 'plantwire-validate', { schema: '{"type": "object", "requird": ["a"]}' }, [['out'], ['out2']]),
      inject('bad', { quantity: 'ten' }, 'v'),
      injectGo('nan-go', 'nan'),
      fn('nan', 'return { payload: { quantity: NaN } };', 'v'),
      catcher('c', ['v', 'typo']),
      statusOf('s', ['v', 'typo']),
      ...common,
    ]);
    const [cfg] = await rt.waitFor('errs', 1);
    expect(cfg!.msg.error.message).toMatch(/schema is invalid: unknown keyword: "requird"/);
    await expectOneError('bad', /msg\.payload\/quantity must be number/);
    await expectOneError('nan-go', /msg\.payload\/quantity must be number/);
    expect(rt.captured('out2')).toHaveLength(0);
  });

  it('admin routes: the tag-sample schema (read) and a schema check (write)', async () => {
    const schemaRes = await rt.admin<{ required: string[] }>('GET', '/plantwire/validate/sample-schema');
    expect(schemaRes.body.required).toEqual(['tag', 'value', 'quality', 'sourceTimestamp']);
    const check = await rt.admin<{ error: string }>('POST', '/plantwire/validate/check', { schema: '{"type": "strin"}' });
    expect(check.status).toBe(400);
    expect(check.body.error).toMatch(/schema is invalid/);
    const data = await rt.admin<{ valid: boolean; message: string }>('POST', '/plantwire/validate/check', { schema, data: { quantity: -2 } });
    expect(data.body).toMatchObject({ valid: false, message: 'msg.payload/quantity must be >= 0' });
  });
});

describe('plantwire-map in a real runtime', () => {
  it('evaluates the expression into the target property; empty results error or drop; runtime errors go to Catch', async () => {
    await rt.deploy([
      TAB,
      node('m', 'plantwire-map', { expression: '{"material": "B-05", "quantity": payload.value, "line": $split(payload.tag, "/")[0]}', property: 'payload', onEmpty: 'error' }, [['out']]),
      node('into', 'plantwire-map', { expression: 'payload.value * 2', property: 'record.doubled', onEmpty: 'drop' }, [['out']]),
      node('plain', 'plantwire-map', { expression: 'payload.value', property: 'payload', onEmpty: 'error' }, [['out']]),
      inject('ok', sample('Line1/Filler/Bottles', 1200), 'm'),
      inject('into-ok', sample('x', 21), 'into'),
      inject('into-empty', { other: 1 }, 'into'),
      inject('empty', { nothing: true }, 'plain'),
      inject('rterr', sample('x', 'text'), 'into'),
      injectGo('nan-go', 'nan'),
      fn('nan', 'return { payload: { value: NaN } };', 'into'),
      catcher('c', ['m', 'into', 'plain']),
      statusOf('s', ['m', 'into', 'plain']),
      ...common,
    ]);
    await fire('ok');
    expect((await rt.waitFor('out', 1))[0]!.msg.payload).toEqual({ material: 'B-05', quantity: 1200, line: 'Line1' });
    rt.clear();
    await fire('into-empty');
    await fire('into-ok');
    const [into] = await rt.waitFor('out', 1);
    expect(into!.msg.record).toEqual({ doubled: 42 });
    expect(rt.captured('out'), 'the empty result was dropped').toHaveLength(1);
    await expectOneError('empty', /the expression returned nothing for this message \(no match\)/);
    await expectOneError('rterr', /expression failed at position \d+.*\[T2001\]/);
    await expectOneError('nan-go', /expression failed at position \d+ \(near "\*"\): The left side of the "\*" operator must evaluate to a number \[T2001\]/);
  });

  it('a syntax error keeps the node inert with the position named', async () => {
    await rt.deploy([TAB, node('m', 'plantwire-map', { expression: 'payload.(value' }, [['out']]), catcher('c', ['m']), statusOf('s', ['m']), ...common]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/configuration error: expression has a syntax error at position \d+/);
    await expect.poll(() => rt.captured('status').at(-1)?.msg.status).toMatchObject({ fill: 'red', text: expect.stringMatching(/^syntax error at \d+/) });
  });

  it('live preview route: result, empty, syntax error with position; write permission only', async () => {
    const ok = await rt.admin<{ ok: boolean; result: unknown }>('POST', '/plantwire/map/preview', { expression: '$round(payload.value * 1.8 + 32, 1)', message: '{"payload": {"value": 21.3}}' });
    expect(ok.body).toEqual({ ok: true, result: 70.3 });
    const empty = await rt.admin('POST', '/plantwire/map/preview', { expression: 'payload.nope', message: { payload: {} } });
    expect(empty.body).toEqual({ ok: true, result: null, empty: true });
    const syntax = await rt.admin<{ ok: boolean; stage: string; error: { position: number; code: string } }>('POST', '/plantwire/map/preview', { expression: '{"a": payload.value', message: {} });
    expect(syntax.status).toBe(200);
    expect(syntax.body).toMatchObject({ ok: false, stage: 'syntax', error: { position: expect.any(Number), code: expect.any(String) } });
    const reader = await fetch(`${rt.url}/plantwire/map/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await rt.token(READER)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ expression: '1', message: {} }),
    });
    expect(reader.status, 'evaluating expressions needs write permission').toBe(401);
  });
});
