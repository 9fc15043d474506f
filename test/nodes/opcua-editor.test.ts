/**
 * The OPC UA in node's edit dialog in a real browser (headless Chromium via
 * playwright-core): the browse tree loads the simulator's address space
 * lazily, ticking a variable fills the tag list (NodeId, browse path, data
 * type), unticking removes it, and the saved node carries the rows.
 * Skipped, with a line saying so, when no Chromium is installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { TAB, endpoint, opcuaIn } from '../helpers/opcua';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.log(`skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

let rt: TestRuntime;
let plant: OpcUaPlant;
let tmp: string;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!haveChromium) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-opcua-editor-'));
  plant = await startOpcUaPlant({ port: 0, lines: 1, pkiDir: path.join(tmp, 'server-pki') });
  rt = await startTestRuntime();
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rt?.stop();
  await plant?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

async function expand(page: Page, tray: ReturnType<Page['locator']>, label: string): Promise<void> {
  const row = tray.locator('.red-ui-treeList-label', { has: page.locator('.red-ui-treeList-label-text', { hasText: new RegExp(`^${label}$`) }) }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await row.locator('.red-ui-treeList-icon').first().click();
}

describe.skipIf(!haveChromium)('plantwire-opcua-in dialog: browse tree', () => {
  it('ticks variables into the tag list and saves them', async () => {
    await rt.deploy([TAB, endpoint('ep', plant.endpointUrl, { name: 'plant sim' }), opcuaIn('in1', 'ep', [], { name: 'browse me' }, [[]])]);
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401|ERR_INTERNET|ERR_NAME/.test(m.text())) errors.push(m.text());
    });
    page.setDefaultTimeout(30_000);
    await page.goto(rt.url, { waitUntil: 'domcontentloaded' });
    await page.locator('#node-dialog-login-username').fill(ADMIN.username);
    await page.locator('#node-dialog-login-password').fill(ADMIN.password);
    await page.locator('#node-dialog-login-submit').click();
    await page.locator('#node-dialog-login').waitFor({ state: 'hidden' });

    const node = page.locator('g.red-ui-flow-node-group', { has: page.locator('.red-ui-flow-node-label', { hasText: 'browse me' }) }).first();
    await node.waitFor({ state: 'visible' });
    await node.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray').last();
    await tray.locator('#pw-opcua-in-browse').click();

    await expand(page, tray, 'Plant');
    await expand(page, tray, 'Line1');
    await expand(page, tray, 'Filler');
    const variable = (name: string) => tray.locator('.red-ui-treeList-label', { has: page.locator('.red-ui-treeList-label-text', { hasText: new RegExp(`^${name}$`) }) }).first();
    await variable('ProductTemperature').waitFor({ state: 'visible' });
    expect(await variable('ProductTemperature').innerText()).toMatch(/ProductTemperature\s+Double/);
    expect(await variable('TemperatureSetpoint').innerText(), 'writable variables are marked').toMatch(/Double \(rw\)/);
    await variable('ProductTemperature').locator('input[type="checkbox"]').click();
    await variable('TemperatureSetpoint').locator('input[type="checkbox"]').click();
    await variable('FillCount').locator('input[type="checkbox"]').click();
    const rows = tray.locator('#node-input-tag-list .pw-tag-nodeid');
    await expect.poll(() => rows.count()).toBe(3);
    // Unticking removes the row again.
    await variable('FillCount').locator('input[type="checkbox"]').click();
    await expect.poll(() => rows.count()).toBe(2);
    expect(await tray.locator('#node-input-tag-list .pw-tag-path').first().inputValue()).toBe('/Objects/Plant/Line1/Filler/ProductTemperature');

    await tray.locator('#node-dialog-ok').click();
    const tags = await page.evaluate(() => (globalThis as unknown as { RED: { nodes: { node(id: string): { tags: unknown } } } }).RED.nodes.node('in1').tags);
    expect(tags).toEqual([
      // Short tag names; the folders above the variable become its asset.
      { tag: 'ProductTemperature', nodeId: 'ns=2;s=Line1/Filler/ProductTemperature', browsePath: '/Objects/Plant/Line1/Filler/ProductTemperature', dataType: 'Double', asset: 'Plant/Line1/Filler' },
      { tag: 'TemperatureSetpoint', nodeId: 'ns=2;s=Line1/Filler/TemperatureSetpoint', browsePath: '/Objects/Plant/Line1/Filler/TemperatureSetpoint', dataType: 'Double', asset: 'Plant/Line1/Filler' },
    ]);
    expect(errors, `browser errors:\n${errors.join('\n')}`).toEqual([]);

    // The endpoint's dialog: connection state from the status route, and the trust button.
    await page.evaluate(() => (globalThis as unknown as { RED: { editor: { editConfig(n: string, t: string, id: string): void } } }).RED.editor.editConfig('', 'plantwire-opcua-endpoint', 'ep'));
    const epTray = page.locator('.red-ui-tray').last();
    await expect.poll(() => epTray.locator('#pw-opcua-state').innerText(), { timeout: 20_000 }).toMatch(/connected to opc\.tcp:\/\/127\.0\.0\.1:\d+ \(no security, anonymous\)/);
    expect(await epTray.locator('.pw-opcua-policy').first().isVisible(), 'no policy row for security None').toBe(false);
    await epTray.locator('#node-config-input-securityMode').selectOption('SignAndEncrypt');
    expect(await epTray.locator('#node-config-input-securityPolicy').isVisible()).toBe(true);
    await epTray.locator('#node-config-input-securityMode').selectOption('None');
    await epTray.locator('#pw-opcua-trust').click();
    await page.locator('.red-ui-notification', { hasText: /OPC UA: trusted "Plantwire plant simulator/ }).waitFor({ state: 'visible', timeout: 20_000 });
    const raw = await epTray.evaluate((el) => [...el.querySelectorAll('label, span, option')].map((e) => e.textContent ?? '').filter((t) => /plantwire-opcua-endpoint\./.test(t)));
    expect(raw, 'untranslated labels').toEqual([]);
    expect(errors, `browser errors:\n${errors.join('\n')}`).toEqual([]);
    await page.close();
  }, 120_000);
});
