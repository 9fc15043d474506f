#!/usr/bin/env node
// Opens the edit dialog of every transform node in a real Node-RED editor
// (headless Chromium via playwright-core, the system browser) and uses it as
// a user would: the scale node's unit check, the window's aggregate boxes,
// the asset map's CSV import, the validate node's schema check, the map
// node's live preview. Then deploys and checks what the dialogs saved.
// Fails on browser console errors, untranslated i18n keys and wrong results.
//
// Usage: node scripts/check-transform-dialogs.mjs [--chromium /usr/bin/chromium] [--locale de]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values: opts } = parseArgs({ options: { chromium: { type: 'string', default: process.env.CHROMIUM_PATH || '/usr/bin/chromium' }, locale: { type: 'string', default: 'en-US' } } });
let step = 'start';
const log = (line) => {
  step = line;
  console.log(`dialogs: ${line}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { cwd: root, stdio: 'inherit' });
const { startHost } = require(path.join(root, 'dist', 'src', 'host', 'index.js'));
const { chromium } = await import('playwright-core');

const T = (id, type, extra) => ({ id, type, z: 't1', version: 1, x: 200, y: 60 + 60 * Number(id.slice(1)), wires: [[]], ...extra });
const FLOW = [
  { id: 't1', type: 'tab', label: 'dialogs' },
  T('n1', 'plantwire-normalize', { name: 'chk-normalize', timestamp: 'auto', quality: 'good', objects: 'split', arrays: 'value', parseStrings: true, output: 'auto' }),
  T('n2', 'plantwire-scale', { name: 'chk-scale', mode: 'range', rawMin: '0', rawMax: '27648', engMin: '0', engMax: '100', clamp: false, engUnit: '°C', toUnit: '', decimals: '' }),
  T('n3', 'plantwire-deadband', { name: 'chk-deadband', mode: 'absolute', deadband: '0.5', percentOf: 'last', span: '', heartbeat: '0', heartbeatOutput: 'each', maxTags: '10000' }),
  T('n4', 'plantwire-window', { name: 'chk-window', kind: 'tumbling', by: 'time', size: '60', hop: '10', count: '10', hopCount: '1', align: 'interval', offset: '0', shifts: '06:00, 14:00, 22:00', timezone: 'UTC', aggregates: ['mean'], rollover: '', grace: '2', closeOn: 'clock', emitEmpty: false, timestamp: 'end', output: 'each', maxTags: '10000', wires: [[], []] }),
  T('n5', 'plantwire-asset-map', { name: 'chk-asset-map', rules: [{ match: 'Line1/**', enterprise: 'acme' }], output: 'keep', wires: [[], []] }),
  T('n6', 'plantwire-validate', { name: 'chk-validate', schema: '{"type": "object"}', property: 'payload', each: false, onInvalid: 'output', wires: [[], []] }),
  T('n7', 'plantwire-map', { name: 'chk-map', expression: 'payload.value', property: 'payload', onEmpty: 'error', sample: '{"payload": {"value": 2}}' }),
];

const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-dialogs-'));
const user = { username: 'admin', password: 'dialog-check-password', permissions: '*' };
const host = await startHost({ userDir, port: 0, users: [user], credentialSecret: 'x', flows: FLOW, logLevel: 'warn' });
const problems = [];
const consoleErrors = [];
let browser;
try {
  browser = await chromium.launch({ executablePath: opts.chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: opts.locale })).newPage();
  page.setDefaultTimeout(20_000);
  let loggedIn = false;
  // Expected, not errors: the 401 before logging in, the palette catalogue (offline machine), and the
  // 400 answers this check provokes on purpose (an unknown unit, a broken CSV import).
  const expected = (text, url) => (!loggedIn && /401/.test(text)) || (url && !url.startsWith(host.url)) || (/status of 400/.test(text) && /\/plantwire\/(scale\/units|asset-map\/parse)/.test(url));
  page.on('console', (m) => {
    const url = m.location()?.url ?? '';
    if (m.type() === 'error' && !expected(m.text(), url)) consoleErrors.push(`console: ${m.text()} ${url}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error during "${step}": ${e.message}\n${(e.stack || '').split('\n').slice(0, 4).join('\n')}`));
  await page.goto(host.url);
  await page.locator('#node-dialog-login-username').fill(user.username);
  await page.locator('#node-dialog-login-password').fill(user.password);
  await page.locator('#node-dialog-login-submit').click();
  await page.locator('#node-dialog-login').waitFor({ state: 'hidden' });
  loggedIn = true;
  const chart = page.locator('#red-ui-workspace-chart');
  await chart.locator('.red-ui-flow-node').first().waitFor();

  const rawKeys = () =>
    page.evaluate(() => {
      const found = new Set();
      document.querySelectorAll('.red-ui-tray [data-i18n]').forEach((el) => {
        if (!el.getClientRects().length) return;
        for (const part of el.getAttribute('data-i18n').split(';')) {
          const key = part.replace(/^\[[^\]]*\]/, '').trim();
          if (key && (el.textContent.trim() === key || el.getAttribute('placeholder') === key)) found.add(key);
        }
      });
      return [...found];
    });
  const open = async (name) => {
    const n = chart.locator('g.red-ui-flow-node-group', { has: page.locator('.red-ui-flow-node-label', { hasText: name }) }).first();
    await n.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray').last();
    await tray.locator('#node-input-name').waitFor({ state: 'visible' });
    await sleep(600);
    for (const k of await rawKeys()) problems.push(`${name}: untranslated key ${k}`);
    return tray;
  };
  const done = async (tray) => {
    await tray.locator('#node-dialog-ok').click();
    await tray.waitFor({ state: 'detached' }).catch(() => {});
    await sleep(300);
  };
  const expectText = async (locator, re, what) => {
    const deadline = Date.now() + 10_000;
    let text = '';
    while (Date.now() < deadline) {
      text = (await locator.innerText()).trim();
      if (re.test(text)) return;
      await sleep(100);
    }
    problems.push(`${what}: expected ${re}, saw "${text}"`);
  };

  log('normalize');
  let tray = await open('chk-normalize');
  await tray.locator('#node-input-timestamp').selectOption('field');
  if (!(await tray.locator('#node-input-timestampField').isVisible())) problems.push('normalize: the field input does not appear for timestamp "field"');
  await tray.locator('#node-input-timestampField').fill('ts');
  await done(tray);

  log('scale');
  tray = await open('chk-scale');
  await tray.locator('#node-input-toUnit').fill('°F');
  await expectText(tray.locator('#plantwire-scale-check'), /1 °C = 33\.8 °F/, 'scale unit check');
  await tray.locator('#node-input-toUnit').fill('furlong');
  await expectText(tray.locator('#plantwire-scale-check'), /unknown unit "furlong"/, 'scale unknown unit');
  await tray.locator('#node-input-toUnit').fill('K');
  await tray.locator('#node-input-mode').selectOption('gain');
  if (await tray.locator('#node-input-rawMin').isVisible()) problems.push('scale: raw range still visible in gain mode');
  await tray.locator('#node-input-gain').fill('0.1');
  await done(tray);

  log('deadband');
  tray = await open('chk-deadband');
  await tray.locator('#node-input-mode').selectOption('percent');
  await tray.locator('#node-input-percentOf').selectOption('span');
  await tray.locator('#node-input-span').fill('250');
  await tray.locator('#node-input-heartbeat').fill('30');
  await done(tray);

  log('window');
  tray = await open('chk-window');
  await tray.locator('#plantwire-win-agg-twa').check();
  await tray.locator('#plantwire-win-agg-delta').check();
  if (!(await tray.locator('#node-input-rollover').isVisible())) problems.push('window: rollover does not appear with delta');
  await tray.locator('#node-input-rollover').fill('65536');
  await tray.locator('#node-input-align').selectOption('shifts');
  if (await tray.locator('#node-input-size').isVisible()) problems.push('window: size still visible for shifts');
  await tray.locator('#node-input-timezone').fill('Europe/Berlin');
  await done(tray);

  log('asset map');
  tray = await open('chk-asset-map');
  await tray.locator('#plantwire-am-import').fill('match;enterprise;site;area\nLine2/**;acme;hh;bottling\nTank1/Level;acme;hh;utilities');
  await tray.locator('#plantwire-am-append').click();
  await expectText(tray.locator('#plantwire-am-import-result'), /^2 (rows imported|Zeilen importiert)$/, 'asset map import');
  await tray.locator('#plantwire-am-import').fill('match,enterprise\n"broken');
  await tray.locator('#plantwire-am-append').click();
  await expectText(tray.locator('#plantwire-am-import-result'), /CSV line 2: a quoted cell is not closed/, 'asset map bad import');
  const rows = await tray.locator('#node-input-rule-list li').count();
  if (rows !== 3) problems.push(`asset map: ${rows} rows in the table after the import, expected 3`);
  await done(tray);

  log('validate');
  tray = await open('chk-validate');
  await tray.locator('#plantwire-val-sample').click();
  await sleep(500);
  await tray.locator('#plantwire-val-check').click();
  await expectText(tray.locator('#plantwire-val-result'), /^(schema compiles|Schema ist gültig)$/, 'validate check');
  await done(tray);

  log('map');
  tray = await open('chk-map');
  await expectText(tray.locator('#plantwire-map-preview'), /^2$/, 'map preview of the saved expression');
  // Type into the code editor as a user does (insertText: no auto-closed brackets).
  const typeExpression = async (text) => {
    await tray.locator('#node-input-expression-editor').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  };
  await typeExpression('{"doubled": payload.value * 2}');
  await expectText(tray.locator('#plantwire-map-preview'), /"doubled": 4/, 'map live preview');
  await typeExpression('payload.value +');
  await expectText(tray.locator('#plantwire-map-preview'), /^(syntax error|Syntaxfehler) @\d+/, 'map preview syntax error');
  await typeExpression('{"doubled": payload.value * 2}');
  await expectText(tray.locator('#plantwire-map-preview'), /"doubled": 4/, 'map live preview after the fix');
  await done(tray);

  log('deploy');
  await page.locator('#red-ui-header-button-deploy').click();
  await sleep(2000);
  const flows = (await host.admin('GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' })).body.flows;
  const byName = Object.fromEntries(flows.filter((n) => n.name).map((n) => [n.name, n]));
  const expect = (name, key, value) => {
    const got = byName[name]?.[key];
    if (JSON.stringify(got) !== JSON.stringify(value)) problems.push(`${name}.${key} saved as ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
  };
  expect('chk-normalize', 'timestamp', 'field');
  expect('chk-normalize', 'timestampField', 'ts');
  expect('chk-scale', 'mode', 'gain');
  expect('chk-scale', 'gain', '0.1');
  expect('chk-scale', 'toUnit', 'K');
  expect('chk-deadband', 'span', '250');
  expect('chk-deadband', 'heartbeat', '30');
  expect('chk-window', 'aggregates', ['mean', 'twa', 'delta']);
  expect('chk-window', 'align', 'shifts');
  expect('chk-window', 'rollover', '65536');
  expect('chk-asset-map', 'rules', [
    { match: 'Line1/**', enterprise: 'acme' },
    { match: 'Line2/**', enterprise: 'acme', site: 'hh', area: 'bottling' },
    { match: 'Tank1/Level', enterprise: 'acme', site: 'hh', area: 'utilities' },
  ]);
  if (!/"required"/.test(byName['chk-validate']?.schema ?? '')) problems.push('validate: the tag-sample schema was not saved');
  expect('chk-map', 'expression', '{"doubled": payload.value * 2}');
  const errors = host.logs.filter((l) => l.level === 'error').map((l) => l.msg);
  if (errors.length) problems.push(`runtime errors after deploy: ${errors.join('; ')}`);
} catch (err) {
  problems.push(`failed: ${err.stack || err.message}`);
} finally {
  await browser?.close().catch(() => {});
  await host.stop();
  fs.rmSync(userDir, { recursive: true, force: true });
}
for (const e of consoleErrors) problems.push(e);
if (problems.length) {
  for (const p of problems) log(`problem: ${p}`);
  process.exit(1);
}
log('all transform dialogs work');
process.exit(0);
