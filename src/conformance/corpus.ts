/**
 * The malformed-message corpus: what every node with an input must survive
 * (answer once, no crash, keep working). Shared by the conformance kit
 * (`plantwire check`) and the project's fuzz suite (test/fuzz), which adds the
 * large cases (a 5 MB string, 100,000 samples) the kit leaves out unless asked.
 */

export interface CorpusCase {
  name: string;
  msg: Record<string, unknown>;
}

function deep(n: number): unknown {
  let o: unknown = 1;
  for (let i = 0; i < n; i++) o = { a: o };
  return o;
}

function nestedArrays(n: number): unknown {
  let o: unknown = [1];
  for (let i = 0; i < n; i++) o = [o];
  return o;
}

/** A well-formed tag sample (the good message of a node that takes tag samples). */
export function goodSample(now = new Date().toISOString()): Record<string, unknown> {
  return { tag: 'Line1/Speed', value: 12.5, quality: 'good', sourceTimestamp: now, asset: 'acme/hh/bottling/line1' };
}

/**
 * The corpus, built fresh for each node (nodes may keep references).
 * `large` adds the 5 MB string and the 100,000-sample batch.
 */
export function corpus(opts: { large?: boolean; now?: string } = {}): CorpusCase[] {
  const now = opts.now ?? new Date().toISOString();
  const cases: CorpusCase[] = [
    { name: 'null payload', msg: { payload: null } },
    { name: 'missing payload', msg: { topic: 'x' } },
    { name: 'NaN', msg: { payload: NaN, topic: 'nan' } },
    { name: '+Infinity', msg: { payload: Infinity, topic: 'inf' } },
    { name: '-Infinity', msg: { payload: -Infinity } },
    { name: '-0', msg: { payload: -0, topic: 'negzero' } },
    { name: 'huge numbers', msg: { payload: { tag: 'huge', value: 1.7976931348623157e308, quality: 'good', sourceTimestamp: now }, topic: 'huge' } },
    { name: 'unsafe integer', msg: { payload: Number.MAX_SAFE_INTEGER * 4, topic: 'unsafe' } },
    { name: 'nested arrays', msg: { payload: nestedArrays(200) } },
    { name: '1,000-deep object', msg: { payload: deep(1000) } },
    { name: '__proto__ key', msg: { payload: JSON.parse('{"__proto__":{"polluted":"yes"},"tag":"__proto__","value":{"__proto__":{"isAdmin":true}},"quality":"good"}') } },
    { name: 'constructor/prototype keys', msg: { payload: JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"x":1}}'), topic: 'constructor' } },
    { name: '__proto__ tag name sample', msg: { payload: { tag: '__proto__', value: 1, quality: 'good', sourceTimestamp: now }, topic: '__proto__' } },
    { name: 'constructor tag name batch', msg: { payload: [{ tag: 'constructor', value: 1, quality: 'good', sourceTimestamp: now }, { tag: 'prototype', value: 2, quality: 'good', sourceTimestamp: now }] } },
    { name: 'bad timestamp', msg: { payload: { tag: 'a', value: 1, quality: 'good', sourceTimestamp: 'yesterday-ish' } } },
    { name: 'timestamp out of range', msg: { payload: { tag: 'a', value: 1, quality: 'good', sourceTimestamp: 1e20 } } },
    { name: 'bad quality', msg: { payload: { tag: 'a', value: 1, quality: 'excellent', sourceTimestamp: now } } },
    { name: 'Buffer', msg: { payload: Buffer.from([0, 1, 2, 255]) } },
    { name: 'Date', msg: { payload: new Date(0) } },
    { name: 'invalid Date', msg: { payload: new Date(NaN) } },
    { name: 'BigInt', msg: { payload: 10n ** 30n, topic: 'big-int' } },
    { name: 'topic is an object', msg: { payload: 1, topic: { not: 'a string' } } },
    // eslint-disable-next-line no-sparse-arrays
    { name: 'sparse array with undefined', msg: { payload: [undefined, , null] } },
  ];
  if (opts.large) {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const many = Array.from({ length: 100_000 }, (_, i) => ({ tag: `t${i}`, value: i, quality: 'good', sourceTimestamp: now }));
    // In the fuzz suite's historical order: after the prototype cases.
    const at = cases.findIndex((c) => c.name === 'bad timestamp');
    cases.splice(at, 0, { name: '5 MB string', msg: { payload: big, topic: 'big' } }, { name: '100,000 samples', msg: { payload: many } });
  }
  return cases;
}
