/**
 * The help of EVERY Plantwire node, in English and German, as Node-RED's editor
 * renders it in a real Chromium (its own markdown renderer, not ours). Fails on
 * what a reader sees as garbled: raw backticks, raw property-list syntax
 * (`: name (type) :`), property names run together with their types (a type
 * outside a rendered property list), empty entries and empty sections.
 *
 * Section headings are those of the help's language (no English heading left
 * in a German help).
 *
 * With PLANTWIRE_SHOTS_DIR=<dir> it also saves the palette (all categories
 * open) and the help of opcua-in and erp-out into that directory (English:
 * palette.png, help-opcua-in.png …; German: palette-de.png …).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/host/index';
import { chromiumCheck, openEditor, type EditorSession } from '../helpers/browser';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const chrome = chromiumCheck();
const TYPES = Object.keys((JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes).sort();
const SHOTS = process.env.PLANTWIRE_SHOTS_DIR;

/** What is wrong with the help of `type` as the sidebar shows it; [] when it reads cleanly. */
async function helpProblems(page: Page, type: string): Promise<{ problems: string[]; text: string; headings: string[] }> {
  // The sidebar renders the help synchronously with Node-RED's own markdown renderer.
  await page.evaluate((t) => (globalThis as unknown as { RED: { sidebar: { help: { show(t: string): void } } } }).RED.sidebar.help.show(t), type);
  const body = page.locator('#red-ui-sidebar-content .red-ui-help .red-ui-help');
  await expect.poll(async () => (await body.innerText().catch(() => '')).length, { message: `${type}: help shown`, timeout: 10_000 }).toBeGreaterThan(200);
  return page.evaluate(() => {
    // Runs in the browser; the test project has no DOM types.
    /* eslint-disable @typescript-eslint/no-explicit-any */
    const document = (globalThis as any).document;
    const NodeFilter = (globalThis as any).NodeFilter;
    const problems: string[] = [];
    const root = document.querySelector('#red-ui-sidebar-content .red-ui-help .red-ui-help');
    // Text outside code blocks: raw backticks or raw property-list syntax mean the markdown did not render.
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement.closest('code, pre')) continue;
      const t = n.textContent ?? '';
      if (t.includes('`')) problems.push(`raw backtick in "${t.trim().slice(0, 80)}"`);
    }
    // A line that still reads ": name (type) : …" is a property list Node-RED did not recognise.
    for (const line of root.innerText.split('\n')) if (/^\s*: ?[^:\s]+ \([^)]*\) ?:/.test(line)) problems.push(`raw property list "${line.trim().slice(0, 80)}"`);
    // Property types belong in a rendered property list; anywhere else they run into the name.
    for (const span of root.querySelectorAll('.property-type')) {
      if (!span.closest('dl.message-properties > dt')) problems.push(`property type "${span.textContent}" outside a property list (runs into "${span.parentElement?.textContent?.slice(0, 40)}")`);
    }
    for (const el of root.querySelectorAll('dt, dd')) {
      if (!el.closest('dl.message-properties')) problems.push(`<${el.tagName.toLowerCase()}> outside a property list: "${el.textContent?.slice(0, 60)}"`);
    }
    for (const dl of root.querySelectorAll('dl.message-properties')) {
      const dts = dl.querySelectorAll(':scope > dt');
      const dds = dl.querySelectorAll(':scope > dd');
      if (dts.length === 0 || dts.length !== dds.length) problems.push(`property list with ${dts.length} names and ${dds.length} descriptions: "${dl.textContent?.slice(0, 80)}"`);
      for (const dt of dts) {
        const type = dt.querySelector('.property-type');
        const name = [...dt.childNodes].filter((c) => c !== type).map((c) => c.textContent ?? '').join('').trim();
        if (!type || !(type.textContent ?? '').trim()) problems.push(`property "${name}" without a type`);
        if (!name) problems.push(`property without a name (type "${type?.textContent}")`);
        else if (/\s/.test(name) && !/^msg\.|^\S+$/.test(name)) problems.push(`property name "${name}" holds spaces (text run into the name?)`);
        // Name and type side by side with room between them (the type floats right).
        if (type && name) {
          const range = document.createRange();
          const first = [...dt.childNodes].find((c) => c !== type && (c.textContent ?? '').trim());
          if (first) {
            range.selectNodeContents(first);
            const a = range.getBoundingClientRect();
            const b = type.getBoundingClientRect();
            if (a.right + 4 > b.left && a.bottom > b.top && b.bottom > a.top) problems.push(`property "${name}" runs into its type "${type.textContent}"`);
          }
        }
      }
      for (const dd of dds) if (!(dd.textContent ?? '').trim()) problems.push(`empty description under "${dd.previousElementSibling?.textContent}"`);
    }
    // Every section has content before the next heading.
    const headings = [...root.querySelectorAll('h1, h2, h3, h4')].filter((h) => !h.classList.contains('red-ui-help-title'));
    for (const h of headings) {
      let next = h.nextElementSibling;
      let content = '';
      while (next && !/^H[1-4]$/.test(next.tagName)) {
        content += next.textContent ?? '';
        next = next.nextElementSibling;
      }
      if (!content.trim()) problems.push(`section "${h.textContent}" is empty`);
    }
    return { problems, text: root.innerText, headings: headings.map((h) => (h.textContent ?? '').trim()) };
  });
}

describe.skipIf(!chrome.available)('help of every node, en and de, renders cleanly (Chromium)', () => {
  let rt: TestRuntime;

  beforeAll(async () => {
    rt = await startTestRuntime({ flows: [{ id: 'e2e-tab', type: 'tab', label: 'e2e' }] });
  }, 120_000);

  afterAll(async () => {
    await rt?.stop();
  });

  for (const [locale, sections, headings] of [
    ['en-US', ['Inputs|Outputs', 'Details'], ['Inputs', 'Outputs', 'Details', 'Settings', 'Example', 'References']],
    ['de-DE', ['Eingänge|Ausgänge', 'Details'], ['Eingänge', 'Ausgänge', 'Details', 'Einstellungen', 'Beispiel', 'Referenzen']],
  ] as const) {
    it(`${locale}: every node's help has its sections and no garbled markup`, async () => {
      const ed: EditorSession = await openEditor(rt.url, ADMIN.username, ADMIN.password, locale);
      try {
        const { page } = ed;
        await page.locator('#red-ui-tab-help-link-button').click();
        const all: string[] = [];
        for (const type of TYPES) {
          const { problems, text, headings: seen } = await helpProblems(page, type);
          for (const s of sections) if (!new RegExp(s).test(text)) problems.push(`no "${s}" section`);
          if (seen.length < 3) problems.push(`only ${seen.length} section headings found`);
          for (const h of seen) if (!(headings as readonly string[]).includes(h)) problems.push(`heading "${h}" is not one of ${locale}'s (${headings.join(', ')})`);
          all.push(...problems.map((p) => `${type}: ${p}`));
        }
        if (SHOTS) await shots(page, locale === 'en-US' ? '' : `-${locale.slice(0, 2)}`);
        expect(all, `${locale} help problems`).toEqual([]);
        expect(ed.consoleErrors).toEqual([]);
      } finally {
        await ed.close();
      }
    }, 240_000);
  }
});

/** Palette (every category open) and two help pages, for the before/after pictures of a change. */
async function shots(page: Page, suffix: string): Promise<void> {
  const dir = SHOTS as string;
  fs.mkdirSync(dir, { recursive: true });
  await page.setViewportSize({ width: 1400, height: 2000 });
  // Only the Plantwire categories, all open, in the order the palette shows them.
  await page.evaluate(() => {
    for (const c of (globalThis as any).document.querySelectorAll('#red-ui-palette .red-ui-palette-category')) {
      const header = c.querySelector('.red-ui-palette-header')?.textContent ?? '';
      c.style.display = /plantwire/i.test(header) ? 'block' : 'none';
      const content = c.querySelector('.red-ui-palette-content');
      if (content) content.style.display = 'block';
    }
  });
  const palette = page.locator('#red-ui-palette');
  await palette.screenshot({ path: path.join(dir, `palette${suffix}.png`) });
  for (const type of ['plantwire-opcua-in', 'plantwire-erp-out']) {
    await helpProblems(page, type);
    await page.locator('#red-ui-sidebar').screenshot({ path: path.join(dir, `help-${type.replace('plantwire-', '')}${suffix}.png`) });
  }
  await page.setViewportSize({ width: 1400, height: 900 });
}
