/**
 * The cloud dialogs in a real Chromium: drag "cloud out" in, add a cloud
 * connection from its dialog, see the fields follow the chosen target and
 * invalid values marked red with their message, deploy, and see the
 * "not set up" status until credentials are entered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/host/index';
import { chromiumCheck, expectFieldMessage, isMarked, openEditor, typeInto, type EditorSession } from '../helpers/browser';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const chrome = chromiumCheck();
const messages = (type: string): Record<string, string> =>
  (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'locales', 'en-US.json'), 'utf8')) as Record<string, { validation: Record<string, string> }>)[type]!.validation;

describe.skipIf(!chrome.available)('cloud out + cloud connection dialogs (Chromium)', () => {
  let rt: TestRuntime;
  let ed: EditorSession;

  beforeAll(async () => {
    rt = await startTestRuntime({ flows: [{ id: 'e2e-tab', type: 'tab', label: 'Cloud' }] });
    ed = await openEditor(rt.url, ADMIN.username, ADMIN.password);
    ed.page.setDefaultTimeout(20_000);
  }, 120_000);
  afterAll(async () => {
    await ed?.close();
    await rt?.stop();
  });

  const expectMessage = (page: Page, field: Locator, text: string): Promise<void> => expectFieldMessage(page, field, text);

  it('fields follow the target, invalid values are marked with their message, deploy shows "not set up"', async () => {
    const { page } = ed;
    await page.locator('#red-ui-palette-search input').fill('plantwire-cloud-out');
    await page.locator('#red-ui-palette .red-ui-palette-node[data-palette-type="plantwire-cloud-out"]').dragTo(page.locator('#red-ui-workspace-chart'), { targetPosition: { x: 300, y: 150 } });
    await page.locator('#red-ui-palette-search input').fill('');
    const id = await page.evaluate(() => (globalThis as unknown as { RED: { nodes: { filterNodes(f: { type: string }): Array<{ id: string }> } } }).RED.nodes.filterNodes({ type: 'plantwire-cloud-out' }).at(-1)?.id ?? '');
    const node = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);
    await node.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray').last();
    await tray.locator('#node-input-connection').waitFor({ state: 'attached' });

    // A new connection through the "add new config node" button.
    await tray.locator('#node-input-btn-connection-add').click();
    const conn = page.locator('.red-ui-tray').last();
    const endpoint = conn.locator('#node-config-input-endpoint');
    await endpoint.waitFor({ state: 'visible' });
    const cm = messages('plantwire-cloud-connection');
    // AWS IoT (the default): its fields show, Azure's do not.
    expect(await conn.locator('#node-config-input-hubHost').isVisible()).toBe(false);
    await typeInto(endpoint, 'https://not a host/');
    await expect.poll(() => isMarked(endpoint)).toBe(true);
    await expectMessage(page, endpoint, cm.endpoint!);
    await typeInto(endpoint, 'abc123-ats.iot.eu-central-1.amazonaws.com');
    await expect.poll(() => isMarked(endpoint)).toBe(false);

    // S3: an object key pattern with an unknown placeholder (and neither {uuid} nor {seq}) is marked.
    await conn.locator('#node-config-input-target').selectOption('s3');
    const keyPattern = conn.locator('#node-config-input-keyPattern');
    await expect.poll(() => keyPattern.isVisible()).toBe(true);
    await typeInto(keyPattern, 'plant/{date}.ndjson');
    await expect.poll(() => isMarked(keyPattern)).toBe(true);
    await expectMessage(page, keyPattern, cm.keyPattern!);
    await typeInto(keyPattern, 'plant/{asset}/{yyyy}/{MM}/{seq}.ndjson');
    await expect.poll(() => isMarked(keyPattern)).toBe(false);

    // Azure IoT Hub: the AWS rows hide, a device id with "/" is marked.
    await conn.locator('#node-config-input-target').selectOption('azure-iot');
    await expect.poll(() => endpoint.isVisible()).toBe(false);
    const hubHost = conn.locator('#node-config-input-hubHost');
    const deviceId = conn.locator('#node-config-input-deviceId');
    await typeInto(hubHost, 'myhub.azure-devices.net');
    await typeInto(deviceId, 'line/1');
    await expect.poll(() => isMarked(deviceId)).toBe(true);
    await expectMessage(page, deviceId, cm.deviceId!);
    await typeInto(deviceId, 'filler-1');
    await expect.poll(() => isMarked(deviceId)).toBe(false);
    await page.locator('#node-config-dialog-ok').click();
    await hubHost.waitFor({ state: 'detached' });
    expect(await tray.locator('#node-input-connection').inputValue()).toMatch(/^[0-9a-f]+$/);

    // Back in cloud out: with an Azure connection the properties row shows, the topic row does not.
    await expect.poll(() => tray.locator('#node-input-properties').isVisible()).toBe(true);
    expect(await tray.locator('#node-input-topic').isVisible()).toBe(false);
    const props = tray.locator('#node-input-properties');
    await typeInto(props, '{"line": ');
    await expect.poll(() => isMarked(props)).toBe(true);
    await expectMessage(page, props, messages('plantwire-cloud-out').properties!);
    await typeInto(props, '{"line": "{asset}"}');
    await expect.poll(() => isMarked(props)).toBe(false);
    await tray.locator('#node-dialog-ok').click();

    await page.locator('#red-ui-header-button-deploy').click();
    const status = node.locator('.red-ui-flow-node-status-label');
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toBe('not set up: device key missing');
    const flows = await rt.admin<Array<Record<string, unknown>>>('GET', '/flows');
    expect(flows.body.find((n) => n.type === 'plantwire-cloud-connection')).toMatchObject({ target: 'azure-iot', hubHost: 'myhub.azure-devices.net', deviceId: 'filler-1' });
    expect(flows.body.find((n) => n.type === 'plantwire-cloud-out')).toMatchObject({ properties: '{"line": "{asset}"}' });
    expect(ed.consoleErrors).toEqual([]);
  }, 120_000);
});
