/**
 * The palettes in palettes/ (built only with the SDK and the scaffold, each
 * with its own package.json depending on "@plantwire/node-red": "file:../..").
 * `linkSdk` makes what `npm install` in such a palette makes for that
 * dependency — node_modules/@plantwire/node-red, a symlink to this package —
 * so the main suite can build and load it without installing it (its other
 * dependency, fast-xml-parser, is also a devDependency of the root at the
 * same exact version, found up the tree).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const PALETTES_DIR = path.resolve(__dirname, '..', '..', 'palettes');
export const MTCONNECT_DIR = path.join(PALETTES_DIR, 'mtconnect');

/** Every palette folder whose package.json depends on this package by file:. */
export function sdkPalettes(): string[] {
  if (!fs.existsSync(PALETTES_DIR)) return [];
  return fs
    .readdirSync(PALETTES_DIR)
    .map((d) => path.join(PALETTES_DIR, d))
    .filter((d) => {
      const file = path.join(d, 'package.json');
      if (!fs.existsSync(file)) return false;
      const dep = (JSON.parse(fs.readFileSync(file, 'utf8')) as { dependencies?: Record<string, string> }).dependencies?.['@plantwire/node-red'];
      return typeof dep === 'string' && dep.startsWith('file:');
    });
}

/** node_modules/@plantwire/node-red → the package its file: dependency names (idempotent). */
export function linkSdk(dir: string): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const target = path.resolve(dir, pkg.dependencies['@plantwire/node-red']!.replace(/^file:/, ''));
  const link = path.join(dir, 'node_modules', '@plantwire', 'node-red');
  try {
    if (fs.realpathSync(link) === fs.realpathSync(target)) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    /* missing */
  }
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.relative(path.dirname(link), target), link, 'dir');
}

/** Runs the palette's own build (scripts/build.mjs: tsc, dist/, examples/). */
export function buildPalette(dir: string): void {
  linkSdk(dir);
  execFileSync(process.execPath, [path.join(dir, 'scripts', 'build.mjs')], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
}
