import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bundleFileName, readBundleFile, writeBundle } from '../../src/bundle/archive';
import { canonicalJson, checksum } from '../../src/bundle/canonical';
import type { DeployResult } from '../../src/bundle/deploy';
import { diffFlows, expectedFlows, formatDiff, isEmptyDiff } from '../../src/bundle/diff';
import { envUses, injectGlobalEnv, resolveEnvValues } from '../../src/bundle/env';
import { errorText } from '../../src/bundle/health';
import { inventoryNames, parseInventory, rollingRun, selectTargets, summaryTable } from '../../src/bundle/inventory';
import { deriveModules, parseModuleOption, plantwireModule } from '../../src/bundle/manifest';
import { pack } from '../../src/bundle/pack';
import { deriveSecretName, resolveCredentials } from '../../src/bundle/secrets';
import { compareVersions, isValidRange, parseVersion, satisfies } from '../../src/bundle/semver';
import { DeploymentState, targetKey } from '../../src/bundle/state';
import type { FlowNode } from '../../src/bundle/types';
import { validateBundle } from '../../src/bundle/validate';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bundle-'));

describe('semver', () => {
  it.each([
    ['4.1.8', '>=4.0.0', true],
    ['5.0.7', '>=4.0.0', true],
    ['3.1.9', '>=4.0.0', false],
    ['4.1.8', '^4.1.0', true],
    ['5.0.0', '^4.1.0', false],
    ['4.1.9', '~4.1.2', true],
    ['4.2.0', '~4.1.2', false],
    ['4.9.0', '4.x', true],
    ['5.0.0', '4', false],
    ['4.5.0', '>=4 <6', true],
    ['6.0.0', '>=4 <6', false],
    ['4.1.8', '4.1.8 || 5.x', true],
    ['5.2.1', '4.1.8 || 5.x', true],
    ['0.2.5', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['4.1.8', '*', true],
    ['4.1.8', '<=4.1', true],
    ['4.2.0', '>4.1', true],
    ['4.1.9', '>4.1', false],
    ['5.0.0-beta.1', '>=4.0.0', false],
    ['5.0.0-beta.2', '>=5.0.0-beta.1', true],
  ])('%s satisfies %s: %s', (v, range, want) => {
    expect(satisfies(v, range)).toBe(want);
  });

  it("treats Node-RED's -git and beta versions as their release when asked", () => {
    expect(satisfies('4.1.8-git', '>=4.0.0')).toBe(false);
    expect(satisfies('4.1.8-git', '>=4.0.0', { includePrerelease: true })).toBe(true);
    expect(satisfies('5.0.0-beta.1', '>=4.0.0 <6', { includePrerelease: true })).toBe(true);
  });

  it('orders versions as npm does (pre-release before release, numeric identifiers numerically)', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0'];
    for (let i = 1; i < order.length; i++) expect(compareVersions(parseVersion(order[i - 1]!)!, parseVersion(order[i]!)!), `${order[i - 1]} < ${order[i]}`).toBe(-1);
  });

  it('a version always satisfies its own exact, caret and tilde ranges', () => {
    fc.assert(
      fc.property(fc.nat(50), fc.nat(50), fc.nat(50), (a, b, c) => {
        const v = `${a}.${b}.${c}`;
        expect(satisfies(v, v)).toBe(true);
        expect(satisfies(v, `^${v}`)).toBe(true);
        expect(satisfies(v, `~${v}`)).toBe(true);
        expect(satisfies(v, `>${v}`)).toBe(false);
      }),
    );
  });

  // The cases where the former hand-written matcher differed from npm's semver (issue 17), with semver's answers.
  it.each([
    ['5.0.0-beta', '^4.1.0', false],
    ['5.0.0-beta', '^5', true],
    ['5.0.0-beta.1', '>=4.0.0', true],
    ['5.0.0-beta.1', '^5.0.0', false],
    ['4.1.8-git', '^4.1.0', true],
    ['4.1.8', '>= 4.0.0', true],
    ['3.9.9', '>= 4.0.0', false],
    ['4.2.9', '4.0.0 - 4.2', true],
    ['4.3.0', '4.0.0 - 4.2', false],
    ['3.9.9', '4.0.0 - 4.2', false],
    ['4.1.8+build.5', '4.1.8', true],
    ['4.1.8+build.5', '>4.1.8', false],
  ])('Node-RED version %s satisfies %s (includePrerelease) as semver answers: %s', (v, range, want) => {
    expect(satisfies(v, range, { includePrerelease: true })).toBe(want);
  });

  it('accepts what npm accepts as a range or a version', () => {
    expect(isValidRange('>= 4.0.0')).toBe(true);
    expect(isValidRange('4.0.0 - 4.2')).toBe(true);
    expect(isValidRange('>=4.0.0 <5.0.0 || ^5.0.0-beta')).toBe(true);
    expect(parseVersion('4.1.8+build.5')?.version).toBe('4.1.8');
    expect(parseVersion('v4.1.8')?.version).toBe('4.1.8');
  });

  it('refuses what is not a range', () => {
    expect(isValidRange('>=4.0.0')).toBe(true);
    expect(isValidRange('newest')).toBe(false);
    expect(parseVersion('4.1')).toBeNull();
  });
});

describe('canonical JSON and checksums', () => {
  it('do not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(checksum(reversed)).toBe(checksum(obj));
      }),
    );
  });
});

describe('environment variables', () => {
  it('finds ${VAR} and env-typed fields, not info or credentials', () => {
    const node: FlowNode = {
      id: 'a',
      type: 'inject',
      info: 'uses ${NOT_THIS}',
      topic: '${TOPIC}',
      payload: 'PAYLOAD_VAR',
      payloadType: 'env',
      props: [{ p: 'x', v: 'PROP_VAR', vt: 'env' }],
      rules: [{ to: '$(OLD_STYLE)', tot: 'str' }, { to: '$env("JSONATA_VAR") & "x"', tot: 'jsonata' }],
      func: 'const a = env.get("FN_VAR"); const b = env.get(\'FN_VAR2\'); const c = flow.get("notEnv");',
      credentials: { password: '${secret:PW}' },
    };
    expect(envUses(node)).toEqual([
      { name: 'TOPIC', field: 'topic' },
      { name: 'PAYLOAD_VAR', field: 'payload' },
      { name: 'PROP_VAR', field: 'props[0].v' },
      { name: 'OLD_STYLE', field: 'rules[0].to' },
      { name: 'JSONATA_VAR', field: 'rules[1].to' },
      { name: 'FN_VAR', field: 'func' },
      { name: 'FN_VAR2', field: 'func' },
    ]);
  });

  it('fills per-target (null) values from the inventory vars and names what is missing', () => {
    expect(resolveEnvValues({ A: 'x', B: null, C: 3 }, 'prod', { B: 'from-target' })).toEqual({ A: 'x', B: 'from-target', C: 3 });
    expect(resolveEnvValues({ A: 'x' }, 'prod', { A: 'override', UNDECLARED: 'ignored' })).toEqual({ A: 'override' });
    expect(() => resolveEnvValues({ A: null, B: null }, 'prod', {}, 'gw-07')).toThrow('environment "prod" leaves A, B to each target (null in env/prod.json), but gw-07 does not set them: add "vars": {"A": …, "B": …} to its inventory entry');
    expect(() => resolveEnvValues(undefined, 'staging')).toThrow('the bundle has no environment "staging"');
  });

  it("injects values into the target's global environment, keeping its other variables, idempotently", () => {
    const target: FlowNode[] = [{ id: 'gc', type: 'global-config', env: [{ name: 'LOCAL', value: 'keep', type: 'str' }, { name: 'LINE', value: 'old', type: 'str' }], modules: { x: '1' } }];
    const once = injectGlobalEnv([{ id: 't', type: 'tab' }], { LINE: 'Line 1', RATE: 5, ON: true }, target);
    expect(once).toEqual([
      { id: 't', type: 'tab' },
      {
        id: 'gc',
        type: 'global-config',
        modules: { x: '1' },
        env: [
          { name: 'LOCAL', value: 'keep', type: 'str' },
          { name: 'LINE', value: 'Line 1', type: 'str' },
          { name: 'ON', value: 'true', type: 'bool' },
          { name: 'RATE', value: '5', type: 'num' },
        ],
      },
    ]);
    expect(injectGlobalEnv([{ id: 't', type: 'tab' }], { LINE: 'Line 1', RATE: 5, ON: true }, once)).toEqual(once);
    expect(injectGlobalEnv([{ id: 't', type: 'tab' }], { A: 'a' }, [])[1]).toEqual({ id: 'plantwire-global-config', type: 'global-config', env: [{ name: 'A', value: 'a', type: 'str' }], modules: {} });
    expect(injectGlobalEnv([{ id: 't', type: 'tab' }], {}, [])).toEqual([{ id: 't', type: 'tab' }]);
  });
});

describe('secrets', () => {
  it('derives readable, unique names', () => {
    const taken = new Set<string>();
    expect(deriveSecretName({ id: 'b1', type: 'mqtt-broker', name: 'Plant broker' }, 'password', taken)).toBe('PLANT_BROKER_PASSWORD');
    expect(deriveSecretName({ id: 'b2', type: 'mqtt-broker', name: 'Plant broker' }, 'password', taken)).toBe('PLANT_BROKER_PASSWORD_2');
    expect(deriveSecretName({ id: 'abcdef123', type: 'http request' }, 'bearerToken', taken)).toBe('HTTP_REQUEST_ABCDEF_BEARER_TOKEN');
    expect(deriveSecretName({ id: 'x', type: 't', name: '1st line' }, 'user', taken)).toBe('S_1ST_LINE_USER');
  });

  it('resolves references from the secrets file first, then PLANTWIRE_SECRET_<NAME>, and names every missing one', () => {
    const flows: FlowNode[] = [
      { id: 'a', type: 'mqtt-broker', name: 'b', credentials: { user: '${secret:U}', password: '${secret:P}' } },
      { id: 'c', type: 'http request', credentials: { password: '${secret:Q}' } },
    ];
    expect(resolveCredentials(flows.slice(0, 1), { file: { U: 'from-file' }, env: { PLANTWIRE_SECRET_U: 'env', PLANTWIRE_SECRET_P: 'pw' } })[0]!.credentials).toEqual({ user: 'from-file', password: 'pw' });
    expect(() => resolveCredentials(flows, { file: {}, fileName: 'secrets/prod.json', env: {} })).toThrow(
      'missing secret value(s): U (used by mqtt-broker "b" (a).credentials.user); P (used by mqtt-broker "b" (a).credentials.password); Q (used by http request c.credentials.password). Put them in secrets/prod.json or a secrets file (--secrets, or secretsFile in the inventory) or set PLANTWIRE_SECRET_<NAME> in the environment',
    );
  });
});

describe('pack', () => {
  const flows: FlowNode[] = [
    { id: 't', type: 'tab', label: 'L' },
    { id: 's', type: 'plantwire-simulator', z: 't', interval: 1000, x: 1, y: 1, wires: [] },
    { id: 'f', type: 'acme-in', z: 't', x: 1, y: 1, wires: [] },
    { id: 'g', type: 'global-config', env: [{ name: 'LINE', value: 'dev value', type: 'str' }, { name: 'OWN', value: 'x', type: 'str' }] },
    { id: 'b', type: 'mqtt-broker', name: 'Broker', broker: 'h', credentials: { user: 'u', password: '${secret:KEEP_ME}', empty: '' } },
  ];

  it('pins modules: declared, the palette, or what the instance has; core types need none', () => {
    const declared = parseModuleOption('@acme/nodes@1.2.0:acme-in,acme-out');
    expect(declared).toEqual({ name: '@acme/nodes', version: '1.2.0', types: ['acme-in', 'acme-out'] });
    expect(deriveModules(flows, { declared: [declared] }).modules).toEqual([
      { name: '@acme/nodes', version: '1.2.0', types: ['acme-in'] },
      { name: plantwireModule().name, version: plantwireModule().version, types: ['plantwire-simulator'] },
    ]);
    expect(deriveModules(flows, { installed: [{ name: '@acme/nodes', version: '2.0.0', types: ['acme-in'] }] }).modules[0]).toEqual({ name: '@acme/nodes', version: '2.0.0', types: ['acme-in'] });
    expect(deriveModules(flows, {}).unknown).toEqual(['acme-in']);
    expect(() => parseModuleOption('acme@^1.0.0:a')).toThrow('--module acme: the version must be exact semver (pinned), got "^1.0.0"');
    expect(() => parseModuleOption('acme')).toThrow('--module must look like name@version:type1,type2');
  });

  it('replaces credential values with references and drops declared variables from the global environment', () => {
    const r = pack({ name: 'l', version: '1.0.0', flows, source: { kind: 'file', ref: 'f.json' }, env: { prod: { LINE: 'Line 1' } }, modules: [parseModuleOption('acme@1.0.0:acme-in')] });
    expect(r.bundle.flows.find((n) => n.id === 'b')!.credentials).toEqual({ user: '${secret:BROKER_USER}', password: '${secret:KEEP_ME}' });
    expect(r.extracted).toEqual({ BROKER_USER: 'u' });
    expect(r.bundle.flows.find((n) => n.id === 'g')!.env).toEqual([{ name: 'OWN', value: 'x', type: 'str' }]);
    expect(r.bundle.manifest.secrets).toEqual([
      { name: 'BROKER_USER', usedBy: [{ node: 'b', nodeName: 'Broker', type: 'mqtt-broker', field: 'user' }] },
      { name: 'KEEP_ME', usedBy: [{ node: 'b', nodeName: 'Broker', type: 'mqtt-broker', field: 'password' }] },
    ]);
    expect(JSON.stringify(r.bundle)).not.toContain('"u"');
    expect(r.validation.errors).toBe(0);
  });

  it('credential fields known only from the instance become references too', () => {
    const r = pack({ name: 'l', version: '1.0.0', flows: [{ id: 'b', type: 'mqtt-broker', name: 'Broker', broker: 'h' }], source: { kind: 'instance', ref: 'http://x' }, env: {}, credentialFields: new Map([['b', ['password', 'user']]]) });
    expect(r.bundle.flows[0]!.credentials).toEqual({ password: '${secret:BROKER_PASSWORD}', user: '${secret:BROKER_USER}' });
    expect(r.extracted).toEqual({});
  });

  it('refuses a bad name, version or range', () => {
    const base = { flows, source: { kind: 'file' as const, ref: 'f' }, env: {} };
    expect(() => pack({ ...base, name: 'a b', version: '1.0.0' })).toThrow('bundle name');
    expect(() => pack({ ...base, name: 'a', version: 'v1' })).toThrow('bundle version must be semver');
    expect(() => pack({ ...base, name: 'a', version: '1.0.0', nodeRedRange: 'latest' })).toThrow('--node-red must be a semver range');
  });

  it('writes one bundle file that reads back identical and validates', () => {
    const r = pack({ name: 'line', version: '2.1.0', flows: flows.slice(0, 2), source: { kind: 'file', ref: 'f' }, env: { prod: {} } });
    const dir = tmp();
    const file = writeBundle(r.bundle, dir);
    expect(path.basename(file)).toBe('line-2.1.0.plantwire.json');
    expect(bundleFileName(r.bundle.manifest)).toBe('line-2.1.0.plantwire.json');
    const back = readBundleFile(file);
    expect(back.value).toEqual(r.bundle);
    expect(validateBundle(back.value, { file }).errors).toBe(0);
    expect(readBundleFile(path.join(dir, 'missing.json')).problem?.message).toMatch(/no such file$/);
  });
});

describe('diff', () => {
  const a: FlowNode[] = [
    { id: 't', type: 'tab', label: 'Line 1' },
    { id: 'n1', type: 'inject', z: 't', name: 'tick', repeat: '5', x: 1, y: 1, wires: [['n2']] },
    { id: 'n2', type: 'debug', z: 't', x: 2, y: 1, wires: [] },
    { id: 'b', type: 'mqtt-broker', broker: 'h', credentials: { password: '${secret:P}' } },
  ];
  it('finds nothing between equal flows (order and credentials ignored)', () => {
    const b = [...a].reverse().map((n) => ({ ...n, credentials: undefined }));
    const d = diffFlows(a, b.map(({ credentials: _c, ...rest }) => rest as FlowNode));
    expect(isEmptyDiff(d)).toBe(true);
    expect(d.unchanged).toBe(4);
  });
  it('lists added, removed and changed nodes with the changed properties', () => {
    const live: FlowNode[] = [a[0]!, { ...a[1]!, repeat: '10', x: 5 }, { id: 'old', type: 'comment', z: 't', name: 'hotfix', x: 1, y: 1, wires: [] }, a[3]!];
    const d = diffFlows(a, live);
    expect(formatDiff(d)).toEqual(['  + debug (n2) on "Line 1"', '  - comment "hotfix" (old) on "Line 1"', '  ~ inject "tick" (n1) on "Line 1": repeat, x']);
  });
  it('compares without the global environment when no environment is known', () => {
    const bundleFlows = { flows: a, env: { prod: { X: '1' } } } as never;
    const live: FlowNode[] = [...a, { id: 'gc', type: 'global-config', env: [{ name: 'X', value: '2', type: 'str' }] }];
    const e = expectedFlows(bundleFlows, undefined, undefined, 't', live);
    expect(isEmptyDiff(diffFlows(e.flows, live))).toBe(true);
    expect(e.notes[0]).toMatch(/not compared/);
    const withEnv = expectedFlows(bundleFlows, 'prod', undefined, 't', live);
    expect(diffFlows(withEnv.flows, live).changed.map((c) => [c.id, c.fields])).toEqual([['gc', ['env']]]);
  });
});

describe('inventory and rolling runs', () => {
  const write = (dir: string, inv: unknown): string => {
    fs.writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify(inv));
    return path.join(dir, 'fleet.json');
  };

  it('reads targets with defaults, auth from env or files, relative secrets files', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets', 'prod.json'), '{"P": "v"}');
    fs.writeFileSync(path.join(dir, 'token.txt'), 'tok-123\n');
    const file = write(dir, {
      defaults: { env: 'prod', auth: { username: 'deploy', passwordEnv: 'FLEET_PW' }, secretsFile: 'secrets/prod.json', vars: { SITE: 'hh' } },
      targets: [
        { name: 'gw-1', url: 'http://10.0.0.1:1880', vars: { LINE: '1' } },
        { name: 'test', url: 'https://test:1880/admin', env: 'test', auth: { tokenFile: 'token.txt' } },
        { name: 'open', url: 'http://127.0.0.1:1880', auth: null },
      ],
    });
    const inv = parseInventory(file, { FLEET_PW: 'pw' });
    expect(inv.targets.map((t) => [t.name, t.env, t.auth, t.vars])).toEqual([
      ['gw-1', 'prod', { kind: 'password', username: 'deploy', password: 'pw' }, { SITE: 'hh', LINE: '1' }],
      ['test', 'test', { kind: 'token', token: 'tok-123' }, { SITE: 'hh' }],
      ['open', 'prod', { kind: 'none' }, { SITE: 'hh' }],
    ]);
    expect(inv.targets[0]!.secrets?.file).toEqual({ P: 'v' });
    expect(selectTargets(inv.targets, ['open', 'gw-1']).map((t) => t.name)).toEqual(['gw-1', 'open']);
    expect(() => selectTargets(inv.targets, ['gw-9'])).toThrow('no target named gw-9 in the inventory (it has gw-1, test, open)');
    expect(inventoryNames(file, ['test'])).toEqual(['test']);
  });

  it('refuses inventories that are wrong or hold a password', () => {
    const dir = tmp();
    expect(() => parseInventory(write(dir, { targets: [] }))).toThrow('with at least one target');
    expect(() => parseInventory(write(dir, { targets: [{ name: 'a', url: 'ftp://x' }] }))).toThrow('"url" must be the Node-RED editor URL');
    expect(() => parseInventory(write(dir, { targets: [{ name: 'a', url: 'http://x' }, { name: 'a', url: 'http://y' }] }))).toThrow('the name "a" is used twice');
    expect(() => parseInventory(write(dir, { targets: [{ name: 'a', url: 'http://x', auth: { username: 'u', passwordEnv: 'NOPE' } }] }), {})).toThrow('auth.passwordEnv names the environment variable NOPE, which is not set');
    expect(() => parseInventory(write(dir, { targets: [{ name: 'a', url: 'http://x', auth: { username: 'u', password: 'plain' } }] }), {})).toThrow('passwords are never written into the inventory');
  });

  const result = (name: string, outcome: DeployResult['outcome']): DeployResult => ({ target: name, url: `http://${name}`, env: 'prod', outcome, message: `${outcome} message`, modulesInstalled: [], durationMs: 1200 });
  const targets = ['a', 'b', 'c', 'd'].map((name) => ({ name, url: `http://${name}`, auth: { kind: 'none' as const } }));

  it('deploys one at a time and stops starting new targets after a failure', async () => {
    const started: string[] = [];
    const results = await rollingRun(targets, async (t) => {
      started.push(t.name);
      return result(t.name, t.name === 'b' ? 'rolled-back' : 'deployed');
    });
    expect(started).toEqual(['a', 'b']);
    expect(results.map((r) => r.outcome)).toEqual(['deployed', 'rolled-back', 'skipped', 'skipped']);
  });

  it('runs N in parallel (never more) and turns a throw into a failed result', async () => {
    let running = 0;
    let peak = 0;
    const results = await rollingRun(
      targets,
      async (t) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 10));
        running -= 1;
        if (t.name === 'd') throw new Error('boom');
        return result(t.name, 'deployed');
      },
      { parallel: 2 },
    );
    expect(peak).toBe(2);
    expect(results.map((r) => [r.target, r.outcome, r.outcome === 'failed' ? r.message : ''])).toEqual([
      ['a', 'deployed', ''],
      ['b', 'deployed', ''],
      ['c', 'deployed', ''],
      ['d', 'failed', 'boom'],
    ]);
  });

  it('prints a summary table with totals', () => {
    const table = summaryTable([{ ...result('gw-1', 'deployed'), nodeRedVersion: '4.1.8', revAfter: 'abcdef0123' }, result('gw-2', 'refused'), result('gw-3', 'skipped')]);
    expect(table.split('\n')).toEqual([
      'target  url          env   result    node-red  revision  installed  time   note',
      '------  -----------  ----  --------  --------  --------  ---------  -----  ---------------',
      'gw-1    http://gw-1  prod  deployed  4.1.8     abcdef01  -          1.2 s  healthy',
      'gw-2    http://gw-2  prod  refused   -         -         -          1.2 s  refused message',
      'gw-3    http://gw-3  prod  skipped   -         -         -          1.2 s  skipped message',
      '',
      '3 target(s): 1 deployed, 1 refused, 1 skipped',
    ]);
  });
});

describe('deployment state', () => {
  it('records history, finds the live deploy and keeps the last N snapshots', () => {
    const dir = tmp();
    const st = new DeploymentState(dir, 'http://127.0.0.1:1880', 2);
    expect(path.basename(st.dir)).toBe('127.0.0.1_1880');
    expect(targetKey('gw-hamburg-01')).toBe('gw-hamburg-01');
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const snapshot = st.saveSnapshot({ rev: `rev${i}`.padEnd(12, '0'), takenAt: `2026-01-0${i + 1}T00:00:00.000Z`, target: 't', flows: [] });
      names.push(snapshot);
      st.record({ id: `d${i}`, at: `2026-01-0${i + 1}`, action: 'deploy', outcome: 'deployed', revBefore: `r${i}`, revAfter: `r${i + 1}`, snapshot });
    }
    expect(fs.readdirSync(path.join(st.dir, 'snapshots')).sort()).toEqual(names.slice(1).sort());
    expect(st.lastLiveDeploy()?.id).toBe('d2');
    st.record({ id: 'rb', at: 'x', action: 'rollback', outcome: 'rolled-back', revBefore: 'r3', revAfter: 'r2', snapshot: names[2]!, undoes: 'd2' }, (entries) => {
      entries.find((e) => e.id === 'd2')!.rolledBackBy = 'rb';
    });
    expect(st.lastLiveDeploy()?.id).toBe('d1');
    expect(st.lastKnownState()?.revAfter).toBe('r2');
  });
});

describe('health check details', () => {
  it('reads errors as comms encodes them', () => {
    expect(errorText('{"__enc__":true,"type":"error","data":{"name":"Error","message":"boom"}}')).toBe('boom');
    expect(errorText('plain text')).toBe('plain text');
    expect(errorText({ message: 'obj' })).toBe('obj');
  });
});
