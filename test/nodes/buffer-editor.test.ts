/**
 * The shared buffer rows (window.PlantwireBuffer) in plantwire-mqtt-out's
 * dialog, in a real browser: shown with the node's values, the limits hidden
 * while the buffer is off, labels translated, and what the user picks saved.
 * Skipped, with a line saying so, when no Chromium is installed.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerNode, mqttOut, TAB } from '../helpers/flows';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.log(`skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);

type Browser = import('playwright-core').Browser;
let rt: TestRuntime;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!haveChromium) return;
  rt = await startTestRuntime();
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await rt?.stop();
}, 30_000);

describe.skipIf(!haveChromium)('plantwire-mqtt-out dialog: durable buffer rows', () => {
  it('shows the node values, hides the limits while off, and saves the choice', async () => {
    await rt.deploy([TAB, brokerNode('b1', 'mqtt://127.0.0.1:1'), mqttOut('out1', 'b1', { name: 'buffer me', bufferMode: 'off', bufferMaxEntries: 5000 })]);
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.setDefaultTimeout(30_000);
    await page.goto(rt.url, { waitUntil: 'domcontentloaded' });
    await page.locator('#node-dialog-login-username').fill(ADMIN.username);
    await page.locator('#node-dialog-login-password').fill(ADMIN.password);
    await page.locator('#node-dialog-login-submit').click();
    await page.locator('#node-dialog-login').waitFor({ state: 'hidden' });
    const node = page.locator('g.red-ui-flow-node-group', { has: page.locator('.red-ui-flow-node-label', { hasText: 'buffer me' }) }).first();
    await node.waitFor({ state: 'visible' });
    await node.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray').last();
    const mode = tray.locator('#node-input-bufferMode');
    await mode.waitFor({ state: 'visible' });
    expect(await mode.inputValue()).toBe('off');
    expect(await tray.locator('#node-input-bufferMaxEntries').isVisible(), 'limits hidden while off').toBe(false);
    await mode.selectOption('disk');
    expect(await tray.locator('#node-input-bufferMaxEntries').inputValue()).toBe('5000');
    await tray.locator('#node-input-bufferOverflow').selectOption('reject');
    await tray.locator('#node-input-bufferReplayRate').fill('250');
    const labels = await tray.evaluate((el) => [...el.querySelectorAll('label, span, option')].map((e) => e.textContent ?? '').filter((t) => /plantwire-mqtt-out\./.test(t)));
    expect(labels, 'untranslated labels').toEqual([]);
    expect(await tray.locator('#node-input-bufferOverflow option[value="drop-oldest"]').innerText()).toBe('drop the oldest entries');
    await tray.locator('#node-dialog-ok').click();
    const saved = await page.evaluate(() => {
      const n = (globalThis as unknown as { RED: { nodes: { node(id: string): Record<string, unknown> } } }).RED.nodes.node('out1');
      return { bufferMode: n.bufferMode, bufferMaxEntries: String(n.bufferMaxEntries), bufferOverflow: n.bufferOverflow, bufferReplayRate: String(n.bufferReplayRate) };
    });
    expect(saved).toEqual({ bufferMode: 'disk', bufferMaxEntries: '5000', bufferOverflow: 'reject', bufferReplayRate: '250' });
    expect(errors, `browser errors:\n${errors.join('\n')}`).toEqual([]);
    await page.close();
  }, 120_000);
});
