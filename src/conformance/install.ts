/**
 * Installing a palette as Node-RED's palette manager does (`npm install
 * --save --save-prefix=~ --omit=dev --engine-strict`, here with
 * --ignore-scripts: a palette install must never need a compiler), into a
 * fresh user dir. Shared by `plantwire check <tgz>` and the pack tests.
 */
import { execFile, type ExecFileOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Environment for child npm / node processes, without the variables of an outer `npm test` / `npx` run. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(lifecycle_|package_|command$|config_call$|config_local_prefix$)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/** Runs a program (no shell) and resolves with its output; rejects with the output in the message. */
export function run(file: string, args: string[], opts: ExecFileOptions & { cwd: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: childEnv(), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...opts }, (err, stdout, stderr) => {
      const out = { stdout: String(stdout), stderr: String(stderr) };
      if (err) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} (in ${opts.cwd}) failed: ${err.message}\n--- stdout\n${out.stdout.slice(-4000)}\n--- stderr\n${out.stderr.slice(-4000)}`));
      } else {
        resolve(out);
      }
    });
  });
}

export const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** What the Node-RED palette manager runs to install a module (@node-red/registry installer). */
export const PALETTE_MANAGER_ARGS = ['install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict'];

/** The package name inside a tarball (package/package.json). */
export async function tarballName(tarball: string): Promise<string> {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: path.dirname(tarball) });
  const name = (JSON.parse(stdout) as { name?: string }).name;
  if (!name) throw new Error(`${tarball}: package/package.json has no "name"`);
  return name;
}

/** Installs the tarball as the palette manager does, with --ignore-scripts, into a new stock Node-RED user dir; returns the installed package dir. */
export async function installTarball(tarball: string, userDir: string): Promise<string> {
  fs.mkdirSync(userDir, { recursive: true });
  if (!fs.existsSync(path.join(userDir, 'package.json'))) {
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 2));
  }
  const name = await tarballName(tarball);
  await run(NPM, [...PALETTE_MANAGER_ARGS, '--prefer-offline', '--ignore-scripts', path.resolve(tarball)], { cwd: userDir });
  const pkgDir = path.join(userDir, 'node_modules', ...name.split('/'));
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) throw new Error(`npm install did not create ${pkgDir}`);
  return pkgDir;
}
