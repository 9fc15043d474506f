import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { sealBundle } from '../../src/bundle/archive';
import { CORE_NODE_TYPES } from '../../src/bundle/core-types';
import { plantwireModule } from '../../src/bundle/manifest';
import { pack } from '../../src/bundle/pack';
import { findPlaintextSecrets, secretInText } from '../../src/bundle/secrets';
import type { Bundle, FlowNode, Problem } from '../../src/bundle/types';
import { jsonErrorOffset, lineColumn } from '../../src/bundle/json-position';
import { formatProblem, parseJson, validateBundle, validateFlows, type FlowsInput } from '../../src/bundle/validate';
import { NR5_DIR, nr5Installed } from '../helpers/nr5';

const tab: FlowNode = { id: 'tab1', type: 'tab', label: 'Line 1' };
const sim = (extra: Partial<FlowNode> = {}): FlowNode => ({ id: 'sim1', type: 'plantwire-simulator', z: 'tab1', name: 'Filler', version: 1, source: 'bottling', lines: 2, interval: 1000, output: 'each', autostart: true, seed: 1, x: 100, y: 100, wires: [['dbg1']], ...extra });
const dbg: FlowNode = { id: 'dbg1', type: 'debug', z: 'tab1', name: 'out', active: true, complete: 'payload', x: 300, y: 100, wires: [] };

function check(flows: unknown[], more: Partial<FlowsInput> = {}): Problem[] {
  return validateFlows({ flows, flowsFile: 'flows.json', env: { prod: {} }, known: { core: CORE_NODE_TYPES, modules: [plantwireModule()] }, ...more });
}
const errors = (ps: Problem[]): Problem[] => ps.filter((p) => p.severity === 'error');

describe('validate: a good flow', () => {
  it('has no problems', () => {
    expect(check([tab, sim(), dbg])).toEqual([]);
  });
});

describe('validate: each problem names file, node and field', () => {
  it('the four classic mistakes give exactly four precise errors', () => {
    const flows = [
      tab,
      sim({ wires: [['dbg1', 'ghost']] }),
      dbg,
      { id: 'odd1', type: 'acme-frobnicator', z: 'tab1', name: 'Frob', x: 1, y: 1, wires: [] },
      { id: 'chg1', type: 'change', z: 'tab1', name: 'Set line', rules: [{ t: 'set', p: 'line', pt: 'msg', to: '${LINE_NAME}', tot: 'str' }], x: 1, y: 1, wires: [] },
      { id: 'req1', type: 'http request', z: 'tab1', name: 'ERP', method: 'GET', url: 'https://erp:Winter2026!@erp.example.com/api', x: 1, y: 1, wires: [] },
    ];
    const ps = errors(check(flows));
    expect(ps.map(formatProblem)).toEqual([
      'error   flows.json › plantwire-simulator "Filler" (sim1) › wires[0][1]: output 1 is wired to node "ghost", which is not in the flows',
      'error   flows.json › acme-frobnicator "Frob" (odd1) › type: unknown node type "acme-frobnicator": not a Node-RED core type, not a Plantwire type, and no declared module provides it. Declare its module (pack --module <name>@<version>:acme-frobnicator)',
      'error   flows.json › change "Set line" (chg1) › rules[0].to: uses ${LINE_NAME}, which is not declared for environment "prod": add "LINE_NAME" to env/prod.json',
      'error   flows.json › http request "ERP" (req1) › url: plaintext secret: a https:// connection string with a password. Move it into the node\'s credentials as ${secret:NAME} (or a credential-type env variable) and supply the value at deploy time',
    ]);
  });

  it('reports duplicate ids, dangling parents and groups', () => {
    const ps = check([tab, sim(), { ...dbg }, { ...dbg, name: 'again' }, { id: 'n2', type: 'debug', z: 'nope', g: 'grp', x: 1, y: 1, wires: [] }]);
    expect(ps.map((p) => [p.code, p.nodeId, p.field])).toEqual([
      ['duplicate-id', 'dbg1', 'id'],
      ['bad-parent', 'n2', 'z'],
      ['bad-group', 'n2', 'g'],
    ]);
    expect(ps[0]!.message).toContain('also by debug "out" (dbg1)');
  });

  it('refuses wires to config nodes, across flows and malformed wires', () => {
    const flows = [
      tab,
      { id: 'tab2', type: 'tab', label: 'Line 2' },
      { id: 'b1', type: 'mqtt-broker', name: 'broker', broker: 'localhost' },
      { id: 'a', type: 'inject', z: 'tab1', x: 1, y: 1, wires: [['b1'], ['other']] },
      { id: 'other', type: 'debug', z: 'tab2', x: 1, y: 1, wires: [] },
      { id: 'c', type: 'inject', z: 'tab1', x: 1, y: 1, wires: 'dbg1' },
    ];
    const ps = check(flows);
    expect(ps.map((p) => [p.nodeId, p.field, p.code])).toEqual([
      ['a', 'wires[0][0]', 'bad-wire'],
      ['a', 'wires[1][0]', 'bad-wire'],
      ['c', 'wires', 'bad-wire'],
    ]);
    expect(ps[0]!.message).toContain('a config node');
    expect(ps[1]!.message).toContain('another flow');
  });

  it('checks config references: missing, dangling and of the wrong type', () => {
    const flows = [
      tab,
      { id: 'tls', type: 'tls-config', name: 'certs' },
      { id: 'm1', type: 'mqtt in', z: 'tab1', name: 'no broker', topic: 'a', x: 1, y: 1, wires: [] },
      { id: 'm2', type: 'mqtt in', z: 'tab1', broker: 'gone', topic: 'a', x: 1, y: 1, wires: [] },
      { id: 'm3', type: 'mqtt out', z: 'tab1', broker: 'tls', x: 1, y: 1, wires: [] },
      { id: 'o1', type: 'plantwire-opcua-in', z: 'tab1', name: 'temps', x: 1, y: 1, wires: [] },
    ];
    const ps = check(flows, { known: { core: CORE_NODE_TYPES, modules: [{ ...plantwireModule(), types: ['plantwire-opcua-in'] }] } });
    expect(ps.map((p) => [p.nodeId, p.field, p.code])).toEqual([
      ['m1', 'broker', 'missing-config'],
      ['m2', 'broker', 'bad-reference'],
      ['m3', 'broker', 'bad-reference'],
      ['o1', 'endpoint', 'missing-config'],
    ]);
    expect(ps[2]!.message).toBe('broker refers to tls-config "certs" (tls), but must be a mqtt-broker node');
    expect(ps[3]!.message).toBe('has no endpoint: select a plantwire-opcua-endpoint node in its dialog');
  });

  it("checks Plantwire nodes' own configuration", () => {
    const ps = check([tab, sim({ interval: 10 }), dbg]);
    expect(ps).toEqual([
      { file: 'flows.json', nodeId: 'sim1', nodeName: 'Filler', nodeType: 'plantwire-simulator', severity: 'error', code: 'bad-config', field: 'interval', message: 'interval (ms) must be at least 50, got 10' },
    ]);
  });

  it('runs Plantwire checks with the values of each environment', () => {
    const env = { dev: { INTERVAL: 20 }, prod: { INTERVAL: 1000 }, edge: { INTERVAL: null } };
    const ps = check([tab, sim({ interval: '${INTERVAL}' }), dbg], { env });
    expect(ps.map((p) => p.message)).toEqual(['interval (ms) must be at least 50, got 20 (with the values of environment "dev")']);
  });

  it('env: declared per environment, typed-input env fields, flow-defined and built-in variables', () => {
    const flows = [
      { ...tab, env: [{ name: 'TAB_VAR', value: 'x', type: 'str' }] },
      { id: 'i1', type: 'inject', z: 'tab1', props: [{ p: 'payload', v: 'PLANT', vt: 'env' }, { p: 'topic', v: '${TAB_VAR}', vt: 'str' }], x: 1, y: 1, wires: [] },
      { id: 'i2', type: 'inject', z: 'tab1', payload: 'SITE', payloadType: 'env', topic: '${NR_NODE_NAME}', x: 1, y: 1, wires: [] },
    ];
    const ps = check(flows, { env: { dev: { PLANT: 'a', SITE: 'b' }, prod: { PLANT: 'a' } } });
    expect(ps.map((p) => [p.nodeId, p.field, p.message])).toEqual([['i2', 'payload', 'uses ${SITE}, which is not declared for environment "prod": add "SITE" to env/prod.json']]);
    expect(check(flows, { env: {} }).map((p) => p.code)).toEqual(['undeclared-env', 'undeclared-env']);
  });

  it('credentials: values refused in bundles, references must be declared, secrets stay out of plain properties', () => {
    const flows = [
      { id: 'b1', type: 'mqtt-broker', name: 'broker', broker: 'localhost', credentials: { user: 'plant', password: '${secret:BROKER_PASSWORD}' } },
      { id: 'b2', type: 'mqtt-broker', name: 'other', broker: 'localhost', clientid: '${secret:CLIENT}', credentials: { password: '${secret:UNDECLARED}' } },
    ];
    const ps = check(flows, { declaredSecrets: new Set(['BROKER_PASSWORD']) });
    expect(ps.map((p) => [p.nodeId, p.field, p.code])).toEqual([
      ['b1', 'credentials.user', 'plaintext-credential'],
      ['b2', 'credentials.password', 'undeclared-secret'],
      ['b2', 'clientid', 'secret-outside-credentials'],
    ]);
    expect(check(flows.slice(0, 1), { credentialValuesAllowed: true })).toEqual([]);
  });

  it('overlays: bad names and values, secrets in overlays', () => {
    const ps = check([tab], { env: { prod: { 'BAD-NAME': 'x', OK: { a: 1 } as never, DB_PASSWORD: 'hunter2hunter2', DB_URL: 'postgres://mes:pw123@db/mes' } } });
    expect(ps.map((p) => [p.file, p.field, p.code])).toEqual([
      ['env/prod.json', 'BAD-NAME', 'bad-env-name'],
      ['env/prod.json', 'OK', 'bad-env-value'],
      ['env/prod.json', 'DB_PASSWORD', 'plaintext-secret'],
      ['env/prod.json', 'DB_URL', 'plaintext-secret'],
    ]);
  });

  it('names line and column of malformed JSON', () => {
    const r = parseJson('[\n  {"id": "a",\n   "type": }\n]', 'flows.json');
    expect(r.problem?.message).toMatch(/^not well-formed JSON at line 3, column 12: /);
  });
});

describe('plaintext secret detection', () => {
  it.each([
    [{ password: 'hunter2' }, 'password'],
    [{ config: { mqttPassword: 'x' } }, 'config.mqttPassword'],
    [{ apiKey: 'abc' }, 'apiKey'],
    [{ headers: { token: 'eyJhbGciOiJIUzI1NiJ9' } }, 'headers.token'],
    [{ clientSecret: 's' }, 'clientSecret'],
    [{ func: 'const k = `-----BEGIN RSA PRIVATE KEY-----\nMIIE...`;' }, 'func'],
    [{ url: 'amqp://plant:secret@rabbit:5672' }, 'url'],
    [{ func: 'msg.headers = {Authorization: "Bearer abcdefghijklmnopqrstuvwxyz012345"}' }, 'func'],
    [{ note: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U' }, 'note'],
    [{ key: 'f3a9c0d17b2e4a5c8d9e0f1a2b3c4d5e' }, 'key'],
    [{ env: [{ name: 'API_TOKEN', value: 'abc', type: 'str' }] }, 'env[0].value'],
    [{ rules: [{ t: 'set', p: 'x', to: 'AKIAIOSFODNN7EXAMPLE', tot: 'str' }] }, 'rules[0].to'],
  ])('finds %j at %s', (value, at) => {
    expect(findPlaintextSecrets(value).map((f) => f.path)).toEqual([at]);
  });

  it.each([
    [{ password: '' }],
    [{ password: '${DB_PASSWORD}' }],
    [{ token: 'TOKEN_VAR', tokenType: 'env' }],
    [{ key: 'topic' }],
    [{ passwordField: 'pw' }],
    [{ tokenUrl: 'https://login.example.com/oauth/token' }],
    [{ url: 'https://user@host/path' }],
    [{ url: 'mqtt://${USER}:${PASS}@broker' }],
    [{ cert: '-----BEGIN CERTIFICATE-----\nMIIB' }],
    [{ env: [{ name: 'DB_PASSWORD', value: 'DB_PASSWORD', type: 'cred' }] }],
    [{ usetls: true, password: false }],
    [{ id: 'n1', type: 'acme-lamp', name: 'Password reset lamp', value: 'on' }],
  ])('leaves %j alone', (value) => {
    expect(findPlaintextSecrets(value)).toEqual([]);
  });

  it('names what it found', () => {
    expect(secretInText('postgres://mes:pw@db/mes')).toBe('a postgres:// connection string with a password');
    expect(secretInText('-----BEGIN EC PRIVATE KEY-----')).toBe('a PEM private key');
  });
});

describe('validate: bundles', () => {
  const packed = (): Bundle =>
    pack({ name: 'line1', version: '1.0.0', flows: [tab, sim(), dbg], source: { kind: 'file', ref: 'flows.json' }, env: { prod: {} }, now: new Date('2026-11-21T10:00:00Z') }).bundle;

  it('a packed bundle validates clean', () => {
    expect(validateBundle(packed(), { file: 'b.json' })).toEqual({ problems: [], errors: 0, warnings: 0 });
  });

  it('refuses a bundle edited after packing (checksums)', () => {
    const b = packed();
    (b.flows[1] as FlowNode).interval = 2000;
    b.env.prod = { EXTRA: 'x' };
    const v = validateBundle(b, { file: 'b.json' });
    expect(v.problems.filter((p) => p.code === 'bad-checksum').map((p) => p.field)).toEqual(['checksums.parts.flows', 'checksums.parts.env/prod.json']);
    expect(v.problems.find((p) => p.field === 'env.variables')?.message).toBe('env.variables lists [] but the overlays declare [EXTRA]');
  });

  it('refuses what is not a bundle and a broken manifest', () => {
    expect(validateBundle([tab], { file: 'x.json' }).problems[0]!.message).toMatch(/^not a Plantwire bundle/);
    const b = packed();
    const bad = sealBundle({ ...b.manifest, version: 'one', nodeRed: { range: 'newest' }, modules: [{ name: 'x', version: '^1.0.0', types: ['plantwire-simulator'] }] }, b.flows, b.env);
    const fields = validateBundle(bad, { file: 'b.json' }).problems.map((p) => p.field);
    expect(fields).toEqual(['version', 'nodeRed.range', 'modules[0].version']);
  });
});

describe('the core type list', () => {
  const coreTypesOf = (nodesDir: string): string[] => {
    const out = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.html')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/data-template-name="([^"]+)"/g)) out.add(m[1]!);
      }
    };
    walk(path.join(nodesDir, 'core'));
    return [...out].sort();
  };
  it('matches the core nodes of the installed Node-RED 4', () => {
    expect([...CORE_NODE_TYPES].sort()).toEqual(coreTypesOf(path.join(PACKAGE_ROOT, 'node_modules', '@node-red', 'nodes')));
  });
  it.skipIf(!nr5Installed())('matches the core nodes of the Node-RED 5 fixture', () => {
    expect([...CORE_NODE_TYPES].sort()).toEqual(coreTypesOf(path.join(NR5_DIR, 'node_modules', '@node-red', 'nodes')));
  });
});

describe('JSON error positions', () => {
  it.each([
    ['[\n  {"id": "a",\n   "type": }\n]', 3, 12],
    ['{"a": 1,}', 1, 9],
    ['[1, 2', null, null],
    ['{"a": "x\ny"}', 1, 9],
    ['[01]', 1, 3],
    ['{"a": tru}', 1, 10],
    ['[1] x', 1, 5],
  ])('%j fails at line %s, column %s', (text, line, column) => {
    let parses = true;
    try {
      JSON.parse(text);
    } catch {
      parses = false;
    }
    expect(parses).toBe(false);
    const offset = jsonErrorOffset(text);
    expect(offset).not.toBeNull();
    if (line === null) expect(offset).toBe(text.length);
    else expect(lineColumn(text, offset!)).toEqual({ line, column });
  });

  it('accepts what JSON.parse accepts', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2), (v, indent) => {
        expect(jsonErrorOffset(JSON.stringify(v, null, indent))).toBeNull();
      }),
    );
  });

  it('agrees with JSON.parse on mangled documents', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.constantFrom('', '}', ']', ',', '"', ':', 'x', '\\', '0', ' '), (v, at, insert) => {
        const text = JSON.stringify(v, null, 1);
        const pos = at % (text.length + 1);
        const mangled = text.slice(0, pos) + insert + text.slice(pos + 1);
        let parses = true;
        try {
          JSON.parse(mangled);
        } catch {
          parses = false;
        }
        expect(jsonErrorOffset(mangled) === null).toBe(parses);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('erp-out in a flow file: rules that depend on the connection system', () => {
  const conn = (kind: string): FlowNode => ({ id: 'erp1', type: 'plantwire-erp-connection', name: 'ERP', kind, url: 'https://erp.example.com/api', auth: 'none' });
  const out = (extra: Partial<FlowNode> = {}): FlowNode => ({ id: 'eo1', type: 'plantwire-erp-out', z: 'tab1', name: 'Confirm', version: 2, connection: 'erp1', operation: 'update', entity: 'Orders', entityType: 'str', key: '', keyType: 'jsonata', mapping: '{"a": 1}', x: 1, y: 1, wires: [[], []], ...extra });
  const keyProblems = (kind: string, extra: Partial<FlowNode> = {}): Problem[] => errors(check([tab, conn(kind), out(extra)])).filter((p) => /needs the document key/.test(p.message));

  it('an update without a key is flagged on an OData or Odoo connection, as deploy would refuse it', () => {
    expect(keyProblems('odata-v4')).toHaveLength(1);
    expect(keyProblems('odoo')).toHaveLength(1);
  });

  it('{placeholders} in the path are read by the system of the connection the node uses (only REST fills them)', () => {
    const problems = (kind: string): Problem[] => errors(check([tab, conn(kind), out({ entity: 'Orders/{OrderID}' })]));
    expect(problems('odata-v4').length, 'OData: the path is refused, or the missing key is').toBeGreaterThan(0);
    expect(problems('rest')).toEqual([]);
  });

  it('a REST path with {placeholders} may carry the key: not flagged there', () => {
    expect(keyProblems('rest', { entity: 'orders/{OrderID}' })).toEqual([]);
    expect(keyProblems('rest')).toHaveLength(1);
  });
});
