import type { Quality } from './sample';

/**
 * Maps an OPC UA StatusCode (Part 4 §7.39: the two top bits give the
 * severity, 00 good, 01 uncertain, 10/11 bad) to a Plantwire quality.
 */
export function qualityFromOpcUaStatus(code: number): Quality {
  const severity = (code >>> 30) & 0x3;
  if (severity === 0) return 'good';
  if (severity === 1) return 'uncertain';
  return 'bad';
}

/** The worst of several qualities (bad < uncertain < good). */
export function worstQuality(qualities: Iterable<Quality>): Quality {
  let worst: Quality = 'good';
  for (const q of qualities) {
    if (q === 'bad') return 'bad';
    if (q === 'uncertain') worst = 'uncertain';
  }
  return worst;
}
