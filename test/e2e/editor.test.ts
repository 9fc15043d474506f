/**
 * The editor as a citizen integrator sees it, in a real Chromium: log in, find
 * every Plantwire node in the palette, read each node's help, drag a simulator
 * into the workspace, get a field marked red for an invalid value, fix it,
 * deploy, and see a green status.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { chromiumCheck, openEditor, type EditorSession } from '../helpers/browser';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const chrome = chromiumCheck();
const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
const category = (type: string): string | undefined => /category:\s*'([^']+)'/.exec(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'editor.ts'), 'utf8'))?.[1];
/** Config nodes have no palette entry; they are checked through the nodes that use them. */
const TYPES = Object.keys(pkg['node-red'].nodes).filter((t) => category(t) !== 'config');

describe.skipIf(!chrome.available)('the editor in Chromium', () => {
  let rt: TestRuntime;
  let ed: EditorSession;

  beforeAll(async () => {
    rt = await startTestRuntime({ flows: [{ id: 'e2e-tab', type: 'tab', label: 'e2e' }] });
    ed = await openEditor(rt.url, ADMIN.username, ADMIN.password);
  }, 120_000);

  afterAll(async () => {
    await ed?.close();
    await rt?.stop();
  });

  it('the palette shows every Plantwire node', async () => {
    for (const type of TYPES) {
      const entry = ed.page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
      await expect.poll(() => entry.count(), { message: `${type} in the palette`, timeout: 10_000 }).toBe(1);
    }
  });

  it('every Plantwire node has help in the sidebar, with its sections', async () => {
    const { page } = ed;
    await page.locator('#red-ui-tab-help-link-button').click();
    for (const type of TYPES) {
      const entry = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
      // Categories may be collapsed: open the one holding the node first.
      if (!(await entry.isVisible())) {
        const category = page.locator('#red-ui-palette .red-ui-palette-category', { has: entry }).locator('.red-ui-palette-header');
        await category.click();
      }
      // Clicking a palette node shows its summary in a popover; its book button opens the full help.
      await entry.click();
      await page.locator('.red-ui-popover:visible button:has(i.fa-book)').click();
      const help = page.locator('#red-ui-sidebar-content');
      await expect.poll(async () => ((await help.innerText()).match(/Outputs[\s\S]*Details[\s\S]*Example/) ? (await help.innerText()).length : 0), { message: `${type} help text`, timeout: 10_000 }).toBeGreaterThanOrEqual(400);
      const text = await help.innerText();
      for (const section of ['Outputs', 'Details', 'Example']) expect(text, `${type} help: ${section}`).toContain(section);
    }
  });

  it('drag a simulator in, an invalid interval is marked red, a valid one deploys with a green status', async () => {
    const { page } = ed;
    const entry = page.locator('#red-ui-palette .red-ui-palette-node[data-palette-type="plantwire-simulator"]');
    const chart = page.locator('#red-ui-workspace-chart');
    await entry.dragTo(chart, { targetPosition: { x: 300, y: 200 } });
    const node = chart.locator('g.red-ui-flow-node-group').first();
    await node.waitFor({ state: 'visible' });
    await node.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray').last();
    const interval = tray.locator('#node-input-interval');
    await interval.waitFor({ state: 'visible' });
    await interval.fill('10');
    await interval.dispatchEvent('change');
    await expect.poll(() => interval.evaluate((el) => el.classList.contains('input-error')), { message: 'interval 10 ms is marked invalid' }).toBe(true);
    await interval.fill('500');
    await interval.dispatchEvent('change');
    await expect.poll(() => interval.evaluate((el) => el.classList.contains('input-error')), { message: 'interval 500 ms is valid' }).toBe(false);
    await tray.locator('#node-dialog-ok').click();
    await page.locator('#red-ui-header-button-deploy').click();
    const status = node.locator('.red-ui-flow-node-status-label');
    await expect.poll(() => status.textContent(), { message: 'status after deploy', timeout: 15_000 }).toMatch(/52 tags @ 500 ms/);
    const dot = node.locator('.red-ui-flow-node-status');
    expect(await dot.getAttribute('class')).toMatch(/red-ui-flow-node-status-dot-green/);
    const flows = await rt.admin<Array<{ type: string; interval?: string | number }>>('GET', '/flows');
    expect(Number(flows.body.find((n) => n.type === 'plantwire-simulator')?.interval)).toBe(500);
  });

  it('the browser logged no unexpected errors', () => {
    expect(ed.consoleErrors).toEqual([]);
  });
});
