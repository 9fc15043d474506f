/**
 * The bundle file: one JSON document `<name>-<version>.plantwire.json` holding
 * the manifest, the flows and the environment overlays, each with a sha256
 * over its canonical JSON (docs/deploying.md, "The bundle file").
 */
import fs from 'node:fs';
import path from 'node:path';
import { checksum } from './canonical';
import { envFileLabel, parseJson } from './validate';
import { BUNDLE_FORMAT, BUNDLE_SUFFIX, type Bundle, type EnvOverlay, type FlowNode, type Manifest, type Problem } from './types';

/** Assembles a bundle and computes its checksums. */
export function sealBundle(manifest: Manifest, flows: FlowNode[], env: Record<string, EnvOverlay>): Bundle {
  const parts: Record<string, string> = { manifest: checksum(manifest), flows: checksum(flows) };
  for (const name of Object.keys(env).sort()) parts[envFileLabel(name)] = checksum(env[name]);
  return { format: BUNDLE_FORMAT, manifest, flows, env, checksums: { algorithm: 'sha256', parts } };
}

export function bundleFileName(manifest: Pick<Manifest, 'name' | 'version'>): string {
  return `${manifest.name}-${manifest.version}${BUNDLE_SUFFIX}`;
}

/** The bundle's own checksum (of all parts): identifies exactly what was deployed. */
export function bundleDigest(bundle: Bundle): string {
  return checksum(bundle.checksums.parts);
}

/** Writes the bundle into `dir` (or to `file` when it ends in .json); returns the path. */
export function writeBundle(bundle: Bundle, out: string): string {
  const file = out.endsWith('.json') ? out : path.join(out, bundleFileName(bundle.manifest));
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(bundle, null, 2)}\n`);
  return file;
}

/** Reads a bundle file; a missing file or malformed JSON becomes a problem. */
export function readBundleFile(file: string): { value?: unknown; problem?: Problem } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: { severity: 'error', code: 'no-file', file: path.basename(file), message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}` } };
  }
  return parseJson(text, path.basename(file));
}
