/**
 * The must-show scenario of the editor, in a real Chromium: a citizen
 * integrator drags "OPC UA in" into an empty workspace, creates an endpoint
 * for the plant simulator from the dialog's "add new config node" button,
 * browses the address space and ticks three variables (no NodeIds typed),
 * wires the node to a debug node by dragging from port to port, deploys, and
 * sees the three tags' values in the debug sidebar and a green status.
 *
 * Screenshots go to a temp dir, or to docs/img/ with PLANTWIRE_E2E_SCREENSHOTS=docs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/host/index';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { chromiumCheck, dragFromPalette, openEditor, screenshotDir, type EditorSession } from '../helpers/browser';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const chrome = chromiumCheck();
const TAGS = ['ProductTemperature', 'TemperatureSetpoint', 'FillCount'];

describe.skipIf(!chrome.available)('OPC UA in: browse, tick three tags, wire, deploy, see data (Chromium)', () => {
  let rt: TestRuntime;
  let plant: OpcUaPlant;
  let ed: EditorSession;
  let tmp: string;
  let shots: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-e2e-opcua-'));
    shots = screenshotDir(PACKAGE_ROOT);
    plant = await startOpcUaPlant({ port: 0, lines: 1, pkiDir: path.join(tmp, 'server-pki') });
    rt = await startTestRuntime({ flows: [{ id: 'e2e-tab', type: 'tab', label: 'Plant' }] });
    ed = await openEditor(rt.url, ADMIN.username, ADMIN.password);
    ed.page.setDefaultTimeout(60_000);
  }, 120_000);

  afterAll(async () => {
    await ed?.close();
    await rt?.stop();
    await plant?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (shots && process.env.PLANTWIRE_E2E_SCREENSHOTS !== 'docs') fs.rmSync(shots, { recursive: true, force: true });
  }, 30_000);

  const treeRow = (page: Page, tray: Locator, label: string): Locator =>
    tray.locator('.red-ui-treeList-label', { has: page.locator('.red-ui-treeList-label-text', { hasText: new RegExp(`^${label}$`) }) }).first();

  async function expand(page: Page, tray: Locator, label: string): Promise<void> {
    const row = treeRow(page, tray, label);
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await row.locator('.red-ui-treeList-icon').first().click();
  }

  it('drag, create endpoint, browse and tick three tags, wire to debug, deploy, values in the debug sidebar, green status', async () => {
    const { page } = ed;

    // 1. OPC UA in into the empty workspace, open its dialog.
    const opcua = await dragFromPalette(page, 'plantwire-opcua-in', 250, 150);
    await opcua.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray').last();
    await tray.locator('#node-input-endpoint').waitFor({ state: 'attached' });

    // 2. A new endpoint through the "add new config node" button next to the endpoint field.
    await tray.locator('#node-input-btn-endpoint-add').click();
    const epTray = page.locator('.red-ui-tray').last();
    const url = epTray.locator('#node-config-input-url');
    await url.waitFor({ state: 'visible' });
    await url.fill(plant.endpointUrl);
    await epTray.locator('#node-config-input-name').fill('Plant simulator');
    // A new endpoint signs and encrypts (SignAndEncrypt, Basic256Sha256): the one trust step for this server.
    await expect.poll(() => epTray.locator('#node-config-input-securityMode').inputValue(), { message: 'secure by default' }).toBe('SignAndEncrypt');
    await epTray.locator('#pw-opcua-trust').click();
    await page.locator('.red-ui-notification', { hasText: /OPC UA: trusted "/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('#node-config-dialog-ok').click();
    await url.waitFor({ state: 'detached' });
    const endpointId = await tray.locator('#node-input-endpoint').inputValue();
    expect(endpointId, 'the new endpoint is chosen in the dialog').toMatch(/^[0-9a-f]+$/);

    // 3. Browse the address space, tick three variables.
    await tray.locator('#pw-opcua-in-browse').click();
    for (const folder of ['Plant', 'Line1', 'Filler']) await expand(page, tray, folder);
    for (const name of TAGS) {
      const row = treeRow(page, tray, name);
      await row.waitFor({ state: 'visible' });
      await row.locator('input[type="checkbox"]').click();
    }
    const rows = tray.locator('#node-input-tag-list .pw-tag-nodeid');
    await expect.poll(() => rows.count(), { message: 'three ticked tags in the tag list' }).toBe(3);
    // One message per tag change, so each tag is its own line in the debug sidebar.
    await tray.locator('#node-input-output').selectOption('each');
    await page.screenshot({ path: path.join(shots, 'opcua-browse.png') });
    await tray.locator('#node-dialog-ok').click();
    await tray.locator('#pw-opcua-in-browse').waitFor({ state: 'detached' });

    // 4. A debug node, wired by dragging from the OPC UA node's output port to the debug's input port.
    const debug = await dragFromPalette(page, 'debug', 600, 150);
    const out = await opcua.locator('.red-ui-flow-port-output .red-ui-flow-port').first().boundingBox();
    const inp = await debug.locator('.red-ui-flow-port-input .red-ui-flow-port').first().boundingBox();
    if (!out || !inp) throw new Error('ports not found');
    await page.mouse.move(out.x + out.width / 2, out.y + out.height / 2);
    await page.mouse.down();
    await page.mouse.move((out.x + inp.x) / 2, out.y + 20, { steps: 5 });
    await page.mouse.move(inp.x + inp.width / 2, inp.y + inp.height / 2, { steps: 5 });
    await page.mouse.up();
    const wires = await page.evaluate(() => {
      const red = (globalThis as unknown as { RED: { nodes: { filterLinks(f: Record<string, unknown>): Array<{ source: { type: string }; target: { type: string } }> } } }).RED;
      return red.nodes.filterLinks({}).map((l) => `${l.source.type}->${l.target.type}`);
    });
    expect(wires).toEqual(['plantwire-opcua-in->debug']);

    // 5. Deploy; the debug sidebar shows the three tags with values, the node a green dot.
    await page.locator('#red-ui-header-button-deploy').click();
    await page.locator('#red-ui-tab-debug-link-button').click();
    const messages = page.locator('#red-ui-sidebar-content .red-ui-debug-msg');
    for (const name of TAGS) {
      // Browse names the tag by its own name (the topic) and puts the folders above it into the asset.
      const msg = messages.filter({ hasText: new RegExp(`\\b${name}\\b`) }).first();
      await expect.poll(() => msg.count(), { message: `debug message for ${name}`, timeout: 30_000 }).toBe(1);
      expect(await msg.innerText(), `${name} has a value`).toMatch(/value:\s*(-?\d|true|false|")/);
    }
    const dot = opcua.locator('.red-ui-flow-node-status');
    await expect.poll(async () => (await dot.getAttribute('class')) ?? '', { message: 'green status under OPC UA in', timeout: 30_000 }).toMatch(/red-ui-flow-node-status-dot-green/);
    await page.screenshot({ path: path.join(shots, 'opcua-debug.png') });

    // The deployed flow carries what the dialog built.
    const flows = await rt.admin<Array<{ type: string; tags?: Array<{ nodeId: string; tag?: string; asset?: string }>; url?: string }>>('GET', '/flows');
    const tags = flows.body.find((n) => n.type === 'plantwire-opcua-in')?.tags ?? [];
    expect(tags.map((t) => [t.tag, t.asset])).toEqual(TAGS.map((t) => [t, 'Plant/Line1/Filler']));
    expect(flows.body.find((n) => n.type === 'plantwire-opcua-endpoint')?.url).toBe(plant.endpointUrl);
    expect(flows.body.find((n) => n.type === 'plantwire-opcua-in')?.tags?.map((t) => t.nodeId)).toEqual(TAGS.map((t) => `ns=2;s=Line1/Filler/${t}`));
    expect(ed.consoleErrors).toEqual([]);
  }, 300_000);
});
