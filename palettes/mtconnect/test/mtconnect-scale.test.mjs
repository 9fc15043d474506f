// Unit test of the transform (node:test), on the built runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { transform } = require('../dist/nodes/mtconnect-scale/runtime.js');

test('scales value × factor + offset and keeps the rest of the sample', () => {
  const s = { tag: 'Line1/Temperature', value: 20, quality: 'good', sourceTimestamp: '2026-01-01T00:00:00.000Z' };
  assert.deepEqual(transform([s], 1.8, 32), [{ ...s, value: 68 }]);
});

test('refuses a value that is not a number, naming the tag', () => {
  assert.throws(() => transform([{ tag: 'Line1/State', value: 'run', quality: 'good', sourceTimestamp: '2026-01-01T00:00:00.000Z' }], 1, 0), /Line1\/State: value must be a number/);
});
