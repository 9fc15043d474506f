import { util as redUtil } from '@node-red/util';
import { describe, expect, it } from 'vitest';
import { makeSample, sampleProblems } from '../../src/model/sample';
import { configHash, retainState } from '../../src/runtime/state';
import { AssetMapper, assetRuleProblems, parseAssetTable, type AssetRule } from '../../src/transforms/asset-map';
import { compileExpression, evaluateExpression, previewExpression, type JsonataUtil } from '../../src/transforms/map';
import { compileSchema, describeIssues, TAG_SAMPLE_SCHEMA, validateWith } from '../../src/transforms/validate';
import { fakeNode } from '../helpers/fake-node';

const T0 = Date.UTC(2026, 0, 1);
const sample = (tag: string, value = 1) => makeSample(tag, value, { sourceTimestamp: T0 });

const RULES: AssetRule[] = [
  { match: 'Line1/Filler/Speed', enterprise: 'acme', site: 'hamburg', area: 'bottling', line: 'line1', cell: 'filler', name: 'speed' },
  { match: 'Line1/Filler/**', enterprise: 'acme', site: 'hamburg', area: 'bottling', line: 'line1', cell: 'filler' },
  { match: 'Line*/Capper/*', enterprise: 'acme', site: 'hamburg', area: 'bottling', line: 'capping' },
  { match: '**', enterprise: 'acme', site: 'hamburg' },
];

describe('asset map', () => {
  it('exact rules win, then the first matching pattern; sets asset and the UNS topic', () => {
    const m = new AssetMapper(RULES);
    const speed = m.map(sample('Line1/Filler/Speed'))!;
    expect(speed.topic).toBe('acme/hamburg/bottling/line1/filler/speed');
    expect(speed.sample.asset).toBe('acme/hamburg/bottling/line1/filler');
    expect(sampleProblems(speed.sample)).toEqual([]);
    // `**` at the end: the matched rest of the tag names the topic.
    expect(m.map(sample('Line1/Filler/Temp/PV'))!.topic).toBe('acme/hamburg/bottling/line1/filler/Temp/PV');
    expect(m.map(sample('Line2/Capper/Torque'))!.topic).toBe('acme/hamburg/bottling/capping/Torque');
    expect(m.map(sample('Line2/Capper/Head/Torque'))!.topic, '* stays within one segment; ** catches the rest').toBe('acme/hamburg/Torque');
    expect(new AssetMapper(RULES.slice(0, 3)).map(sample('Utilities/Air/Pressure'))).toBeNull();
  });

  it('wildcards in a tag never reach the published topic', () => {
    const m = new AssetMapper([{ match: 'a/**', enterprise: 'e' }]);
    expect(m.map(sample('a/b+c#'))!.topic).toBe('e/b_c_');
  });

  it('validates the table with the row named', () => {
    expect(assetRuleProblems(RULES)).toEqual([]);
    expect(assetRuleProblems([{ match: '', enterprise: '' }])).toEqual(['row 1: match is empty: enter a tag or a pattern such as Line1/Filler/**', 'row 1: enterprise is empty: every row needs at least the enterprise']);
    expect(assetRuleProblems([{ match: 'a', enterprise: 'e', line: 'l' }])).toContain('row 1: line is set but site is empty: fill the ISA-95 levels from the enterprise down');
    expect(assetRuleProblems([{ match: 'a', enterprise: 'e/x' }])).toEqual(['row 1: enterprise "e/x" must not contain "/"']);
    expect(assetRuleProblems([{ match: 'a', enterprise: 'e+' }])).toEqual(['row 1: enterprise "e+" must not contain MQTT wildcards "#" or "+"']);
    expect(assetRuleProblems([{ match: 'a', enterprise: 'e' }, { match: 'a', enterprise: 'f' }])).toEqual(['row 2: match "a" is already in row 1']);
    expect(assetRuleProblems([{ match: 'a**', enterprise: 'e' }])[0]).toMatch(/"\*\*" must be a whole path segment/);
    expect(assetRuleProblems([{ match: 'a', enterprise: 'e', colour: 'red' }])).toEqual(['row 1: unknown column "colour" (columns: match, enterprise, site, area, line, cell, name)']);
    expect(() => new AssetMapper([{ match: 'a', enterprise: '' }])).toThrow(/asset table: row 1: enterprise is empty/);
  });

  it('imports CSV (header in any order, ; or , separated, quotes) and JSON', () => {
    const csv = '\uFEFFsite;match;enterprise;name\n# comment\n"ham;burg";"Line1/Filler/**";acme;\n\nhh;Tank1/Level;acme;level\n';
    expect(parseAssetTable(csv)).toEqual([
      { match: 'Line1/Filler/**', enterprise: 'acme', site: 'ham;burg' },
      { match: 'Tank1/Level', enterprise: 'acme', site: 'hh', name: 'level' },
    ]);
    expect(parseAssetTable('Tank1/Level,acme,hh,utilities')).toEqual([{ match: 'Tank1/Level', enterprise: 'acme', site: 'hh', area: 'utilities' }]);
    expect(parseAssetTable(JSON.stringify({ rules: RULES }))).toEqual(RULES);
    expect(() => parseAssetTable('match,enterprise,colour\na,e,red')).toThrow(/CSV header: unknown column\(s\) "colour"/);
    expect(() => parseAssetTable('match,enterprise\n"a,e')).toThrow(/CSV line 2: a quoted cell is not closed/);
    expect(() => parseAssetTable('match,enterprise\na,e,x,y,z,w,v,u')).toThrow(/CSV line 2 has 8 cells but there are 2 columns/);
    expect(() => parseAssetTable('[{"match": "a"}]')).toThrow(/row 1: enterprise is empty/);
    expect(() => parseAssetTable('{"rules": 5}')).toThrow(/must be an array of rows/);
    expect(() => parseAssetTable('[1,')).toThrow(/not valid JSON/);
    expect(() => parseAssetTable('  ')).toThrow(/the import is empty/);
  });
});

describe('validate (Ajv)', () => {
  it('compiles once and names the failing path and the Ajv message', () => {
    const fn = compileSchema(JSON.stringify({ type: 'object', required: ['temperature'], properties: { temperature: { type: 'number', maximum: 100 }, unit: { enum: ['°C', '°F'] } }, additionalProperties: false }));
    expect(validateWith(fn, { temperature: 20, unit: '°C' })).toEqual([]);
    const issues = validateWith(fn, { temperature: 120, unit: 'K', extra: 1 });
    expect(describeIssues(issues)).toBe('msg.payload must NOT have additional properties: "extra"; msg.payload/temperature must be <= 100; msg.payload/unit must be equal to one of the allowed values ("°C", "°F")');
    expect(issues[1]).toMatchObject({ instancePath: '/temperature', keyword: 'maximum' });
    expect(describeIssues(validateWith(fn, {}))).toBe("msg.payload must have required property 'temperature'");
  });

  it('the tag-sample schema accepts samples and rejects broken ones, with formats checked', () => {
    const fn = compileSchema(TAG_SAMPLE_SCHEMA);
    expect(validateWith(fn, sample('a'))).toEqual([]);
    expect(describeIssues(validateWith(fn, { ...sample('a'), sourceTimestamp: 'yesterday' }))).toBe('msg.payload/sourceTimestamp must match format "date-time"');
  });

  it('supports 2020-12 and 2019-09 schemas; refuses unsupported drafts, typos (strict mode), bad JSON', () => {
    const fn = compileSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'string' }] });
    expect(validateWith(fn, [1])[0]).toMatchObject({ instancePath: '/0', keyword: 'type' });
    expect(() => compileSchema({ $schema: 'http://json-schema.org/draft-04/schema#' })).toThrow(/draft-04\/schema#" is not supported/);
    expect(() => compileSchema('{"type": "object", "requird": ["a"]}')).toThrow(/schema is invalid: unknown keyword: "requird"/);
    expect(() => compileSchema('{"type": "string", "format": "colour"}')).toThrow(/unknown format "colour"/);
    expect(() => compileSchema('{"type": ')).toThrow(/schema is not valid JSON/);
    expect(() => compileSchema('')).toThrow(/schema is empty/);
    expect(() => compileSchema('[1]')).toThrow(/schema must be a JSON object/);
    expect(compileSchema('{"type":"string","format":"email","example":"a@b.de"}')('x@y.com')).toBe(true);
  });
});

describe('map (JSONata through Node-RED util)', () => {
  const util = redUtil as unknown as JsonataUtil;

  it('compiles once and evaluates against the message', async () => {
    const expr = compileExpression(util, '{"tag": payload.tag, "v": payload.value * 2, "plant": topic}', null);
    await expect(evaluateExpression(util, expr, { payload: sample('a', 21), topic: 'p' })).resolves.toEqual({ tag: 'a', v: 42, plant: 'p' });
  });

  it('a syntax error names the position; a runtime error too', async () => {
    expect(() => compileExpression(util, 'payload.(value', null)).toThrow(/expression has a syntax error at position \d+/);
    expect(() => compileExpression(util, '   ', null)).toThrow(/expression is empty/);
    const bad = compileExpression(util, 'payload.value + "x"', null);
    await expect(evaluateExpression(util, bad, { payload: { value: 1 } })).rejects.toThrow(/expression failed at position \d+.*\[T2002\]/);
  });

  it('preview answers results, empty results and errors with their stage', async () => {
    await expect(previewExpression(util, 'payload.value', '{"payload": {"value": 5}}')).resolves.toEqual({ ok: true, result: 5 });
    await expect(previewExpression(util, 'payload.nothing', { payload: {} })).resolves.toEqual({ ok: true, result: null, empty: true });
    const syntax = await previewExpression(util, 'payload.(', {});
    expect(syntax).toMatchObject({ ok: false, stage: 'syntax', error: { code: expect.any(String), position: expect.any(Number) } });
    await expect(previewExpression(util, 'payload', '{nope')).resolves.toMatchObject({ ok: false, stage: 'message' });
    await expect(previewExpression(util, 'payload', '[1]')).resolves.toMatchObject({ ok: false, stage: 'message' });
    await expect(previewExpression(util, '$number("x") + 1', {})).resolves.toMatchObject({ ok: false, stage: 'evaluation' });
  });
});

describe('state kept across redeploys', () => {
  it('an unchanged node gets its state back after close (not removed); a changed or removed one does not', async () => {
    const config = { id: 'n1', type: 'fake', x: 10, y: 20, deadband: 1, wires: [[]] };
    const first = fakeNode('n1');
    const a = retainState(first, config, () => ({ seen: 0 }));
    expect(a.restored).toBe(false);
    a.state.seen = 5;
    await first.close(false);
    const second = fakeNode('n1');
    const b = retainState(second, { ...config, x: 99, name: 'moved and renamed' }, () => ({ seen: 0 }));
    expect(b).toEqual({ state: { seen: 5 }, restored: true });
    await second.close(false);
    const third = fakeNode('n1');
    const c = retainState(third, { ...config, deadband: 2 }, () => ({ seen: 0 }));
    expect(c).toEqual({ state: { seen: 0 }, restored: false });
    await third.close(true);
    const fourth = fakeNode('n1');
    expect(retainState(fourth, { ...config, deadband: 2 }, () => ({ seen: -1 })).restored).toBe(false);
    expect(configHash({ b: 1, a: { d: 1, c: 2 } })).toBe(configHash({ a: { c: 2, d: 1 }, b: 1 }));
  });
});
