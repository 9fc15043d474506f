/**
 * Dialogs work in any order of clicks (issue: browse showed "Loading…" forever
 * and needed two more clicks). In a real Chromium against the OPC UA plant
 * simulator:
 *  - OPC UA in dropped next to an existing endpoint takes that endpoint, and
 *    browse pressed at once shows the tree (no second click);
 *  - browse with Endpoint "none" says what to choose, and choosing the
 *    endpoint then shows the tree without pressing browse again;
 *  - every other node with a config field also takes the only config node.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { chromiumCheck, dragFromPalette, openEditor, type EditorSession } from '../helpers/browser';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const chrome = chromiumCheck();

describe.skipIf(!chrome.available)('dialogs in any order of clicks (Chromium)', () => {
  let rt: TestRuntime;
  let plant: OpcUaPlant;
  let ed: EditorSession;
  let tmp: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-e2e-order-'));
    plant = await startOpcUaPlant({ port: 0, lines: 1, pkiDir: path.join(tmp, 'server-pki') });
    rt = await startTestRuntime({
      flows: [
        { id: 'e2e-tab', type: 'tab', label: 'Plant' },
        { id: 'ep1', type: 'plantwire-opcua-endpoint', name: 'Plant simulator', url: plant.endpointUrl, securityMode: 'None', securityPolicy: 'None', auth: 'anonymous', version: 1 },
        { id: 'mb1', type: 'plantwire-modbus-device', name: 'PLC', host: '127.0.0.1', port: 5020, version: 1 },
      ],
    });
    ed = await openEditor(rt.url, ADMIN.username, ADMIN.password);
    ed.page.setDefaultTimeout(30_000);
  }, 120_000);

  afterAll(async () => {
    await ed?.close();
    await rt?.stop();
    await plant?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  const treeRow = (page: Page, tray: Locator, label: string): Locator =>
    tray.locator('.red-ui-treeList-label', { has: page.locator('.red-ui-treeList-label-text', { hasText: new RegExp(`^${label}$`) }) }).first();

  async function openDialog(page: Page, type: string, x: number, y: number): Promise<Locator> {
    const node = await dragFromPalette(page, type, x, y);
    await node.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray').last();
    await tray.locator('#node-input-name').waitFor({ state: 'visible' });
    return tray;
  }

  it('OPC UA in next to an existing endpoint: the endpoint is chosen, browse at once shows the tree', async () => {
    const { page } = ed;
    const tray = await openDialog(page, 'plantwire-opcua-in', 250, 150);
    expect(await tray.locator('#node-input-endpoint').inputValue(), 'the only endpoint is chosen').toBe('ep1');
    await tray.locator('#pw-opcua-in-browse').click();
    await treeRow(page, tray, 'Plant').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await tray.locator('.pw-opcua-browse-message').innerText()).toMatch(/Tick variables/);
    await page.locator('#node-dialog-cancel').click();
    await tray.locator('#pw-opcua-in-browse').waitFor({ state: 'detached' });
  }, 90_000);

  it('browse with no endpoint says what to choose; choosing it then shows the tree without another click', async () => {
    const { page } = ed;
    const tray = await openDialog(page, 'plantwire-opcua-read', 250, 250);
    await tray.locator('#node-input-endpoint').selectOption('_ADD_');
    await tray.locator('#pw-opcua-read-browse').click();
    const message = tray.locator('.pw-opcua-browse-message');
    await expect.poll(() => message.innerText(), { message: 'browse without an endpoint explains itself' }).toMatch(/Choose an OPC UA endpoint/);
    await tray.locator('#node-input-endpoint').selectOption('ep1');
    await treeRow(page, tray, 'Plant').waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('#node-dialog-cancel').click();
  }, 90_000);

  it('a modbus read dropped in takes the only Modbus device', async () => {
    const { page } = ed;
    const tray = await openDialog(page, 'plantwire-modbus-read', 250, 350);
    expect(await tray.locator('#node-input-device').inputValue()).toBe('mb1');
    await page.locator('#node-dialog-cancel').click();
    expect(ed.consoleErrors).toEqual([]);
  }, 60_000);
});
