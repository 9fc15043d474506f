#!/usr/bin/env node
// Takes real screenshots of the Node-RED editor running the demo flow, for the
// README and the docs:
//   docs/img/editor-demo.png        the demo flow with node statuses and the debug sidebar
//   docs/img/simulator-help.png     the simulator node selected, help sidebar open
//   docs/img/simulator-dialog.png   the simulator node's edit dialog
//
// It builds if needed, starts `plantwire start` on free ports in a temporary
// workspace (random admin password), logs in through the editor's login form
// in headless Chromium (playwright-core, a devDependency; the browser is the
// system one, e.g. Debian's `chromium` package) and saves the images.
//
// Usage: node scripts/screenshot.mjs [--out docs/img] [--chromium /usr/bin/chromium]
//        [--locale en-US] [--strict]
// The browser is CHROMIUM_PATH or --chromium (default /usr/bin/chromium). Browser
// console errors and problems seen in the editor (untranslated i18n keys, help
// that does not render, statuses hidden behind nodes) are listed at the end;
// --strict makes them fail the run. Images that would exceed 300 KB are cropped.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GLOBAL_TIMEOUT_MS = 120_000;
const VIEWPORT = { width: 1400, height: 800 };
const MAX_BYTES = 300 * 1024;
const SIM_LABEL = 'Bottling plant';

const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(root, 'docs', 'img') },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH || '/usr/bin/chromium' },
    strict: { type: 'boolean', default: false },
    locale: { type: 'string', default: 'en-US' },
  },
});
const outDir = path.resolve(opts.out);

const log = (line) => console.log(`screenshot: ${line}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch {
    throw new Error('playwright-core is not installed: run `npm install` (it is a devDependency) or `npm install --no-save playwright-core@1.65.1`');
  }
}

/** Starts `plantwire start` and resolves with its editor URL once it prints "Plantwire is running: <url>". */
function startPlantwire({ port, opcuaPort, workspace, password }) {
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'plantwire.js'), 'start', '--port', String(port), '--opcua-port', String(opcuaPort), '--workspace', workspace, '--reset-demo'],
    {
      cwd: root,
      env: { ...process.env, PLANTWIRE_ADMIN_USER: 'admin', PLANTWIRE_ADMIN_PASSWORD: password, PLANTWIRE_PORT: '', PLANTWIRE_OPCUA_PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = [];
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        output.push(line);
        const m = /Plantwire is running: (\S+)/.exec(line);
        if (m) resolve(m[1]);
      }
    });
    child.stderr.on('data', (chunk) => output.push(...chunk.split('\n').filter(Boolean).map((l) => `[stderr] ${l}`)));
    child.once('error', reject);
    exited.then(({ code, signal }) =>
      reject(new Error(`plantwire start exited (${signal ?? `code ${code}`}) before it was ready:\n${output.slice(-30).join('\n')}`)),
    );
  });
  return { child, ready, exited, output };
}

async function stopChild(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  const result = await Promise.race([exited, sleep(15_000).then(() => null)]);
  if (!result) {
    log('plantwire did not stop within 15 s after SIGINT: killing it');
    child.kill('SIGKILL');
    await exited;
  }
}

/** Closes Node-RED notifications and popovers so they do not cover the screenshots. */
async function dismissPopups(page) {
  await page.evaluate(() => {
    document.querySelectorAll('.red-ui-notification').forEach((n) => n.remove());
    document.querySelectorAll('.red-ui-popover, .red-ui-tooltip').forEach((n) => n.remove());
  });
  await page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height - 5);
}

/** Opens a sidebar tab the way a user does: its tab, or its icon when the tabs are collapsed. */
async function openSidebarTab(page, id) {
  const candidates = [page.locator(`#red-ui-tab-${id}-link-button`), page.locator(`#red-ui-tab-${id} > a`)];
  for (const c of candidates) {
    if (await c.isVisible()) {
      await c.click();
      return;
    }
  }
  throw new Error(`no visible "${id}" sidebar tab`);
}

/** Saves a viewport-sized PNG; when it is over MAX_BYTES, only `fallbackClip` (the region that matters). */
async function save(page, name, fallbackClip) {
  const file = path.join(outDir, name);
  await page.screenshot({ path: file, type: 'png', fullPage: false });
  let size = fs.statSync(file).size;
  if (size > MAX_BYTES && fallbackClip) {
    await page.screenshot({ path: file, type: 'png', clip: fallbackClip });
    log(`${name} was ${Math.round(size / 1024)} KB: cropped to ${fallbackClip.width}x${fallbackClip.height}`);
    size = fs.statSync(file).size;
  }
  log(`saved ${path.relative(root, file)} (${Math.round(size / 1024)} KB)`);
  return file;
}

/** Each node in the workspace: label, status text and colour, and whether another node covers its status. */
async function nodeStatuses(page) {
  return page.evaluate(() => {
    const groups = [...document.querySelectorAll('#red-ui-workspace-chart g.red-ui-flow-node-group')];
    const rects = groups.map((g) => g.querySelector('rect.red-ui-flow-node')?.getBoundingClientRect());
    return groups.map((g, i) => {
      const status = g.querySelector('.red-ui-flow-node-status-group');
      const label = g.querySelector('.red-ui-flow-node-label')?.textContent.trim() ?? '';
      if (!status || status.style.display === 'none') return { label, status: null };
      const text = status.querySelector('.red-ui-flow-node-status-label')?.textContent ?? '';
      const shape = [...(status.querySelector('rect.red-ui-flow-node-status')?.classList ?? [])].find((c) => c !== 'red-ui-flow-node-status') ?? '';
      const box = status.querySelector('.red-ui-flow-node-status-label').getBoundingClientRect();
      const coveredBy = groups
        .map((_, j) => j)
        .filter((j) => j !== i && rects[j] && box.width > 0)
        .filter((j) => box.left < rects[j].right && box.right > rects[j].left && box.top < rects[j].bottom && box.bottom > rects[j].top)
        .map((j) => groups[j].querySelector('.red-ui-flow-node-label')?.textContent.trim() ?? '?');
      return { label, status: text, shape: shape.replace('red-ui-flow-node-status-', ''), coveredBy };
    });
  });
}

/** Visible text in the editor that is an untranslated i18n key (e.g. "plantwire-simulator.label.name"). */
async function rawI18nKeys(page) {
  return page.evaluate(() => {
    const found = new Set();
    const visible = (el) => el && !el.closest('script, style, template') && el.getClientRects().length > 0;
    // Palette keys anywhere in visible text or placeholders/titles: "<type>.<group>.<key>".
    const re = /\bplantwire[\w-]*(?::[\w-]+)?\.[a-zA-Z][\w-]*\.[\w.-]*\w/g;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!visible(n.parentElement)) continue;
      for (const m of n.textContent.matchAll(re)) found.add(m[0]);
    }
    document.querySelectorAll('input[placeholder], [title]').forEach((el) => {
      if (!visible(el)) return;
      for (const v of [el.getAttribute('placeholder'), el.getAttribute('title')]) for (const m of (v ?? '').matchAll(re)) found.add(m[0]);
    });
    // Any data-i18n element (Node-RED's own too) whose text is still its key.
    document.querySelectorAll('[data-i18n]').forEach((el) => {
      if (!visible(el)) return;
      for (const part of el.getAttribute('data-i18n').split(';')) {
        const key = part.replace(/^\[[^\]]*\]/, '').trim();
        const text = el.textContent.trim();
        if (key && (text === key || el.getAttribute('placeholder') === key)) found.add(key);
      }
    });
    return [...found];
  });
}

async function run(state) {
  log('building if needed');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-needed'], { cwd: root, stdio: 'inherit' });

  const { chromium } = await loadPlaywright();
  if (!fs.existsSync(opts.chromium)) throw new Error(`no Chromium at ${opts.chromium}: install it (Debian: apt-get install chromium) or pass --chromium PATH`);

  const [port, opcuaPort] = [await freePort(), await freePort()];
  state.workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-screenshot-'));
  const password = randomBytes(12).toString('base64url');
  log(`starting plantwire on port ${port} (OPC UA ${opcuaPort}), workspace ${state.workspace}`);
  if (state.cleaning) throw new Error('stopped before plantwire started');
  state.plantwire = startPlantwire({ port, opcuaPort, workspace: state.workspace, password });
  const url = await state.plantwire.ready;
  log(`editor at ${url}`);

  state.browser = await chromium.launch({
    executablePath: opts.chromium,
    // Our signal handler closes the browser and stops plantwire; Playwright's own would exit first.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  if (state.cleaning) {
    await state.browser.close();
    throw new Error('stopped while the browser started');
  }
  const context = await state.browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, locale: opts.locale, colorScheme: 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  state.page = page;
  const origin = new URL(url).origin;
  // Expected noise, listed apart: the 401s that make the editor show its login form, and
  // requests to the internet (the palette catalogue) when the machine is offline.
  const expected = (text, where) =>
    (!state.loggedIn && /\b401\b/.test(text) && /\/settings\b/.test(where)) || (where && !where.startsWith(origin)) || /ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(text);
  const record = (text, where = '') => (expected(text, where) ? state.expectedErrors : state.consoleErrors).push(where ? `${text} (${where})` : text);
  page.on('console', (msg) => {
    if (msg.type() === 'error') record(`console: ${msg.text()}`, msg.location()?.url ?? '');
  });
  page.on('pageerror', (err) => record(`page error: ${err.stack || err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400) record(`HTTP ${res.status()} ${res.request().method()}`, res.url());
  });

  await page.goto(url, { waitUntil: 'domcontentloaded' });
  log('logging in');
  await page.locator('#node-dialog-login-username').fill('admin');
  await page.locator('#node-dialog-login-password').fill(password);
  await page.locator('#node-dialog-login-submit').click();
  await page.locator('#node-dialog-login').waitFor({ state: 'hidden' });
  state.loggedIn = true;

  // The workspace with the demo flow: its nodes are drawn and the simulator has its label.
  const chart = page.locator('#red-ui-workspace-chart');
  await chart.locator('.red-ui-flow-node').first().waitFor({ state: 'visible' });
  const simNode = chart.locator('g.red-ui-flow-node-group', { has: page.locator('.red-ui-flow-node-label', { hasText: new RegExp(`^\\s*${SIM_LABEL}\\s*$`) }) }).first();
  const simBody = simNode.locator('rect.red-ui-flow-node');
  await simNode.waitFor({ state: 'visible' });
  log(`demo flow drawn: ${await chart.locator('g.red-ui-flow-node-group').count()} nodes`);

  // The palette: every category collapsed but the palette's own, so its nodes show.
  await page.locator('#red-ui-palette .red-ui-component-footer button:has(i.fa-angle-double-up)').click();
  const category = page.locator('#red-ui-palette .red-ui-palette-header', { hasText: 'Plantwire' }).first();
  if (await category.count()) await category.click();
  else state.problems.push('no Plantwire category in the palette');
  fs.mkdirSync(outDir, { recursive: true });

  // 1. The demo flow running, the debug sidebar with messages.
  await openSidebarTab(page, 'debug');
  await page.locator('#red-ui-sidebar-content .red-ui-debug-msg').first().waitFor({ state: 'visible' });
  await sleep(6_000);
  await chart.locator('.red-ui-flow-node-status-label', { hasText: /\S/ }).first().waitFor({ state: 'visible' });
  for (const n of await nodeStatuses(page)) {
    if (n.status === null) continue;
    log(`  status of "${n.label}": ${n.shape} "${n.status}"`);
    if (n.coveredBy.length) state.problems.push(`the status of "${n.label}" ("${n.status}") is hidden behind ${n.coveredBy.map((l) => `"${l}"`).join(', ')} in the demo flow layout`);
  }
  const simStatus = (await nodeStatuses(page)).find((n) => n.label === SIM_LABEL);
  if (!simStatus?.status || !/green/.test(simStatus.shape)) state.problems.push(`the simulator has no green status: ${JSON.stringify(simStatus)}`);
  await dismissPopups(page);
  state.i18n.push(...(await rawI18nKeys(page)));
  await save(page, 'editor-demo.png', { x: 180, y: 48, width: 1220, height: 560 });

  // 2. The simulator node selected, its help in the sidebar.
  await simBody.click();
  await openSidebarTab(page, 'help');
  const help = page.locator('#red-ui-sidebar-content .red-ui-help-title').locator('..');
  await help.locator('.red-ui-help-title', { hasText: 'simulator' }).waitFor({ state: 'visible' });
  await sleep(500);
  const helpText = (await help.innerText()).trim();
  if (!/Emits realistic plant signals/.test(helpText)) state.problems.push(`help sidebar does not show the simulator help; it shows: ${helpText.slice(0, 200)}`);
  // Node-RED renders ": name (type) : text" lines as a property list only when the text has no colon.
  const looseProps = await help.locator('.property-type').evaluateAll((els) =>
    els.filter((el) => !el.closest('dl.message-properties')).map((el) => el.closest('dt')?.textContent ?? el.textContent),
  );
  if (looseProps.length) state.problems.push(`help: property list rendered as plain text (a ":" in a description line?): ${looseProps.join(', ')}`);
  // More room for the help text than for the table of contents.
  const splitter = page.locator('#red-ui-sidebar-content .red-ui-panels-separator:visible').first();
  const box = (await splitter.count()) ? await splitter.boundingBox() : null;
  if (box) {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, 262, { steps: 5 });
    await page.mouse.up();
  }
  await dismissPopups(page);
  state.i18n.push(...(await rawI18nKeys(page)));
  await save(page, 'simulator-help.png', { x: 180, y: 48, width: 1220, height: 752 });

  // 3. The simulator's edit dialog, next to the debug sidebar still receiving samples.
  await openSidebarTab(page, 'debug');
  await simBody.dblclick();
  const tray = page.locator('.red-ui-tray').last();
  await tray.locator('#node-input-name').waitFor({ state: 'visible' });
  await sleep(800); // the tray slides in
  await dismissPopups(page);
  state.i18n.push(...(await rawI18nKeys(page)));
  await save(page, 'simulator-dialog.png', { x: 560, y: 48, width: 840, height: 752 });
  await tray.locator('#node-dialog-cancel').click();
}

async function main() {
  const state = { plantwire: null, browser: null, page: null, workspace: null, cleaning: null, interrupted: false, loggedIn: false, consoleErrors: [], expectedErrors: [], i18n: [], problems: [] };
  let timer;
  let failed = false;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${GLOBAL_TIMEOUT_MS / 1000} s`)), GLOBAL_TIMEOUT_MS);
  });
  const onSignal = () => {
    log('interrupted: cleaning up');
    state.interrupted = true;
    cleanup(state).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await Promise.race([run(state), timeout]);
  } catch (err) {
    failed = true;
    if (state.interrupted) return; // the signal handler exits once cleaned up
    console.error(`screenshot: ${err instanceof Error ? err.message : String(err)}`);
    if (state.page) {
      const shot = path.join(os.tmpdir(), 'plantwire-screenshot-failure.png');
      if (await state.page.screenshot({ path: shot, type: 'png' }).then(() => true, () => false)) console.error(`screenshot: the page at the failure: ${shot}`);
    }
    if (state.plantwire) console.error(`plantwire output (last lines):\n${state.plantwire.output.slice(-20).join('\n')}`);
  } finally {
    clearTimeout(timer);
    await cleanup(state);
  }
  const i18n = [...new Set(state.i18n)];
  if (i18n.length) state.problems.push(`untranslated i18n keys shown in the editor: ${i18n.join(', ')}`);
  const errors = [...new Set(state.consoleErrors)];
  if (errors.length) {
    log(`${errors.length} browser console error(s):`);
    for (const e of errors) console.log(`  - ${e}`);
  } else log('no browser console errors');
  const expectedErrors = [...new Set(state.expectedErrors)];
  if (expectedErrors.length) {
    log(`${expectedErrors.length} expected browser error(s) (login, offline):`);
    for (const e of expectedErrors) console.log(`  - ${e}`);
  }
  for (const p of state.problems) log(`problem: ${p}`);
  if (opts.strict && (errors.length || state.problems.length)) failed = true;
  process.exit(failed ? 1 : 0);
}

/** Closes the browser, stops plantwire (SIGINT, then SIGKILL after 15 s) and removes the workspace; once. */
function cleanup(state) {
  state.cleaning ??= (async () => {
    const { browser, plantwire, workspace } = state;
    if (browser) await browser.close().catch(() => {});
    if (plantwire) await stopChild(plantwire.child, plantwire.exited).catch(() => {});
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  })();
  return state.cleaning;
}

main();
