/**
 * The historian database dialog in a real Chromium: add a historian database
 * from a "historian out" dialog and see the field spec's rules
 * (src/connectors/historian/db-fields.ts) follow the chosen backend —
 * PostgreSQL's host, database and table, InfluxDB's URL, v2 bucket, v1
 * database and measurement marked red with their messages, an empty table or
 * measurement taken as the default — and the saved node valid once fixed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/host/index';
import { chromiumCheck, dragFromPalette, expectFieldMessage, isMarked, openEditor, typeInto, type EditorSession } from '../helpers/browser';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const chrome = chromiumCheck();
const TYPE = 'plantwire-historian-db';
const messages = (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', TYPE, 'locales', 'en-US.json'), 'utf8')) as Record<string, { validation: Record<string, string> }>)[TYPE]!.validation;

/** `bad` is marked with the message `validation.<key>`, `good` (empty: the default) is not. */
async function refuses(page: Page, field: Locator, bad: string, key: string, good: string): Promise<void> {
  await typeInto(field, bad);
  await expect.poll(() => isMarked(field), { message: `${key} = ${JSON.stringify(bad)} is marked` }).toBe(true);
  await expectFieldMessage(page, field, messages[key]!, `the message of ${key}`);
  await typeInto(field, good);
  await expect.poll(() => isMarked(field), { message: `${key} = ${JSON.stringify(good)} is valid` }).toBe(false);
}

describe.skipIf(!chrome.available)('historian database dialog (Chromium)', () => {
  let rt: TestRuntime;
  let ed: EditorSession;
  beforeAll(async () => {
    rt = await startTestRuntime({ flows: [{ id: 'e2e-tab', type: 'tab', label: 'Historian' }] });
    ed = await openEditor(rt.url, ADMIN.username, ADMIN.password);
  }, 120_000);
  afterAll(async () => {
    await ed?.close();
    await rt?.stop();
  });

  it('checks the fields of the chosen backend with their messages; the v2 names do not count for v1', async () => {
    const { page } = ed;
    page.setDefaultTimeout(20_000);
    await (await dragFromPalette(page, 'plantwire-historian-out', 300, 150)).locator('rect.red-ui-flow-node').dblclick();
    const out = page.locator('.red-ui-tray').last();
    await out.locator('#node-input-btn-db-add').click();
    const db = page.locator('.red-ui-tray').last();
    const field = (key: string): Locator => db.locator(`#node-config-input-${key}`);
    await field('host').waitFor({ state: 'visible' });

    // PostgreSQL (the default), starting at 127.0.0.1, database plantwire.
    expect([await field('host').inputValue(), await field('database').inputValue()]).toEqual(['127.0.0.1', 'plantwire']);
    await refuses(page, field('host'), 'db server', 'host', '127.0.0.1');
    await refuses(page, field('database'), ' ', 'database', 'test');
    await refuses(page, field('table'), 'plant samples', 'identifier', '');

    // InfluxDB v2: the PostgreSQL rows hide.
    await field('kind').selectOption('influx');
    await expect.poll(() => field('host').isVisible()).toBe(false);
    await refuses(page, field('url'), 'ftp://127.0.0.1:8086', 'url', 'http://127.0.0.1:8086');
    await typeInto(field('org'), 'acme');
    await refuses(page, field('bucket'), '', 'bucket', 'plant');
    await refuses(page, field('measurement'), 'plant\\', 'measurement', '');

    // InfluxDB v1: its database is needed; the hidden v2 bucket, emptied, does not make the node invalid.
    await field('api').selectOption('1');
    await expect.poll(() => field('db').isVisible()).toBe(true);
    await refuses(page, field('db'), '', 'db', 'plant');
    await field('bucket').evaluate((el) => {
      (el as unknown as { value: string }).value = '';
    });
    await page.locator('#node-config-dialog-ok').click();
    await field('db').waitFor({ state: 'detached' });
    const saved = await page.evaluate((t) => {
      let n: Record<string, unknown> = {};
      (globalThis as unknown as { RED: { nodes: { eachConfig(cb: (c: Record<string, unknown>) => void): void } } }).RED.nodes.eachConfig((c) => {
        if (c.type === t) n = c;
      });
      return { valid: n.valid, kind: n.kind, api: n.api, db: n.db, bucket: n.bucket, database: n.database, table: n.table, measurement: n.measurement, version: n.version };
    }, TYPE);
    expect(saved).toEqual({ valid: true, kind: 'influx', api: '1', db: 'plant', bucket: '', database: 'test', table: '', measurement: '', version: 1 });
    await out.locator('#node-dialog-ok').click();
    expect(ed.consoleErrors).toEqual([]);
  }, 120_000);
});
