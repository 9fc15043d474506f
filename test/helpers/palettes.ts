/**
 * The palettes in palettes/ (built only with the SDK and the scaffold, each
 * with its own package.json depending on "@plantwire/sdk":
 * "file:../../packages/sdk" and, for the plantwire CLI and the conformance
 * kit, on "@plantwire/node-red": "file:../.." as a devDependency). `linkSdk`
 * makes what `npm install` in such a palette makes for those two —
 * node_modules/@plantwire/sdk, a symlink to packages/sdk (built by
 * scripts/build.mjs), and node_modules/@plantwire/node-red, a symlink to this
 * package — so the main suite can build and load it without installing it
 * (its other dependency, fast-xml-parser, is also a devDependency of the root
 * at the same exact version, found up the tree).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const PALETTES_DIR = path.resolve(__dirname, '..', '..', 'palettes');
export const MTCONNECT_DIR = path.join(PALETTES_DIR, 'mtconnect');

/** Our packages a palette in palettes/ links by file: (dependencies or devDependencies). */
const LINKED = ['@plantwire/sdk', '@plantwire/node-red'] as const;

interface PalettePackage {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const fileSpecs = (pkg: PalettePackage): Array<[string, string]> =>
  LINKED.flatMap((name) => {
    const spec = pkg.dependencies?.[name] ?? pkg.devDependencies?.[name];
    return typeof spec === 'string' && spec.startsWith('file:') ? [[name, spec.slice('file:'.length)] as [string, string]] : [];
  });

/** Every palette folder whose package.json depends on @plantwire/sdk by file:. */
export function sdkPalettes(): string[] {
  if (!fs.existsSync(PALETTES_DIR)) return [];
  return fs
    .readdirSync(PALETTES_DIR)
    .map((d) => path.join(PALETTES_DIR, d))
    .filter((d) => {
      const file = path.join(d, 'package.json');
      if (!fs.existsSync(file)) return false;
      return fileSpecs(JSON.parse(fs.readFileSync(file, 'utf8')) as PalettePackage).some(([name]) => name === '@plantwire/sdk');
    });
}

/**
 * node_modules/@plantwire/sdk and node_modules/@plantwire/node-red → the folders their file: specs name
 * (idempotent), as npm install links a file: folder.
 */
export function linkSdk(dir: string): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PalettePackage;
  for (const [name, rel] of fileSpecs(pkg)) {
    const target = path.resolve(dir, rel);
    const link = path.join(dir, 'node_modules', ...name.split('/'));
    try {
      if (fs.realpathSync(link) === fs.realpathSync(target)) continue;
      fs.rmSync(link, { recursive: true, force: true });
    } catch {
      /* missing */
    }
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(link), target), link, 'dir');
  }
}

/** Runs the palette's own build (scripts/build.mjs: tsc, dist/, examples/). */
export function buildPalette(dir: string): void {
  linkSdk(dir);
  execFileSync(process.execPath, [path.join(dir, 'scripts', 'build.mjs')], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
}
