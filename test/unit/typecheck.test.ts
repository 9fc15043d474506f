/**
 * The TypeScript check of the whole project (strict), as a test: it runs in a
 * vitest worker beside the tests that mostly wait on sockets and timers,
 * instead of before the suite as `pretest` did (40 s of a 2-core CI run).
 * Sources, nodes, tests and benches (tsconfig.test.json) and the editor
 * scripts bundled for the browser (tsconfig.editor.json).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function tsc(project: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, '-p', project, '--noEmit', '--pretty', 'false'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('TypeScript (strict) has no error', () => {
  it.each(['tsconfig.test.json', 'tsconfig.editor.json'])('tsc -p %s --noEmit', async (project) => {
    const { code, out } = await tsc(project);
    // The compiler's own lines ("file(line,col): error TSxxxx: …") are the message.
    expect(out.trim().split('\n').filter((l) => l.trim() !== ''), `tsc -p ${project}`).toEqual([]);
    expect(code).toBe(0);
  }, 300_000);
});
