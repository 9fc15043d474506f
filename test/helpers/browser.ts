/**
 * Debian's Chromium driven by playwright-core, for the e2e tests. No browser
 * download: the machine's /usr/bin/chromium (CI installs it with apt-get).
 * When it is missing, e2e tests skip with a clear line, unless
 * PLANTWIRE_REQUIRE_SERVICES=1 (CI), where they fail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function chromiumCheck(): { available: boolean; reason: string } {
  if (fs.existsSync(CHROMIUM)) return { available: true, reason: '' };
  const reason = `skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.PLANTWIRE_REQUIRE_SERVICES === '1') throw new Error(`Chromium is required (PLANTWIRE_REQUIRE_SERVICES=1) but ${CHROMIUM} is missing`);
  console.log(reason);
  return { available: false, reason };
}

export interface EditorSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Browser console errors other than the expected ones (login 401, offline catalogue). */
  consoleErrors: string[];
  close(): Promise<void>;
}

/** Opens the editor at `url` and logs in through its login form. */
export async function openEditor(url: string, username: string, password: string, locale = 'en-US'): Promise<EditorSession> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = `${m.text()} ${m.location().url ?? ''}`;
    if (/401 \(Unauthorized\)|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED|catalogue\.nodered\.org/.test(text)) return;
    consoleErrors.push(text);
  });
  page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.stack ?? err.message}`));
  await page.goto(`${url}/`);
  await page.locator('#node-dialog-login-username').fill(username);
  await page.locator('#node-dialog-login-password').fill(password);
  await page.locator('#node-dialog-login-submit').click();
  await page.locator('#node-dialog-login').waitFor({ state: 'hidden' });
  await page.locator('#red-ui-workspace-chart').waitFor({ state: 'visible' });
  return {
    browser,
    context,
    page,
    consoleErrors,
    async close() {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Where e2e screenshots go: a temp dir by default (CI must not dirty the tree),
 * docs/img/ when PLANTWIRE_E2E_SCREENSHOTS=docs (to refresh the docs images).
 */
export function screenshotDir(root: string): string {
  if (process.env.PLANTWIRE_E2E_SCREENSHOTS === 'docs') return path.join(root, 'docs', 'img');
  return fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-e2e-shots-'));
}

/**
 * Hovers a dialog field and waits until its validation tooltip shows `text`.
 * Node-RED opens a field's tooltip 750 ms after mouseenter; polls for up to 5 s
 * and enters again if a re-render swallowed the event (the pointer must leave
 * and come back for a new mouseenter).
 */
export async function expectFieldMessage(page: Page, field: Locator, text: string, what = 'the field message'): Promise<void> {
  await field.hover();
  let hovered = Date.now();
  await expect
    .poll(
      async () => {
        const shown = (await page.locator('.red-ui-popover:visible').allInnerTexts()).join(' | ');
        if (!shown.includes(text) && Date.now() - hovered > 1500) {
          await page.mouse.move(1, 1);
          await field.hover();
          hovered = Date.now();
        }
        return shown;
      },
      { message: what, timeout: 5000 },
    )
    .toContain(text);
}

/** Whether a dialog field is marked invalid (red). */
export function isMarked(field: Locator): Promise<boolean> {
  return field.evaluate((el) => el.classList.contains('input-error'));
}

/** Types a value into a dialog field as a user would and lets the dialog validate it. */
export async function typeInto(field: Locator, value: string): Promise<void> {
  await field.fill(value);
  await field.dispatchEvent('change');
}

/**
 * Drags a node of `type` from the palette into the workspace at (x, y) (searching
 * the palette when its category is closed) and returns its node group.
 */
export async function dragFromPalette(page: Page, type: string, x: number, y: number): Promise<Locator> {
  const entry = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
  if (!(await entry.isVisible())) {
    await page.locator('#red-ui-palette-search input').fill(type === 'debug' ? 'debug' : type);
  }
  await entry.first().dragTo(page.locator('#red-ui-workspace-chart'), { targetPosition: { x, y } });
  await page.locator('#red-ui-palette-search input').fill('');
  const id = await page.evaluate((t) => {
    const red = (globalThis as unknown as { RED: { nodes: { filterNodes(f: { type: string }): Array<{ id: string }> } } }).RED;
    return red.nodes.filterNodes({ type: t }).at(-1)?.id ?? '';
  }, type);
  expect(id, `${type} was dropped into the workspace`).not.toBe('');
  const node = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);
  await node.waitFor({ state: 'visible' });
  return node;
}
