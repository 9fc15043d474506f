/**
 * MTConnect observations as Plantwire tag samples: tag = the data item's
 * name (its id when it has none), value typed by category (SAMPLE → number,
 * numeric events such as PartCount → number, other events → text, conditions
 * → NORMAL / WARNING / FAULT), quality bad for UNAVAILABLE (value null),
 * sourceTimestamp = the observation's timestamp, serverTimestamp = the
 * document's creationTime, unit from /probe, asset = device name / component
 * path (Mill1/Axes/X). Built with the SDK's sample model.
 * Timestamps that do not parse lose no observation: an observation's own
 * goes as the document's creationTime (quality unchanged: the value is the
 * agent's), and a document without a parsable creationTime is stamped with
 * the time it was read (parseStreams).
 */
import { makeSample, type TagSample } from '@plantwire/sdk';
import type { DeviceModel, Observation, StreamsHeader } from './mtconnect';

/** Events whose values are counts or numbers by the MTConnect standard. */
const NUMERIC_EVENTS = new Set(['PartCount', 'LineNumber', 'Line', 'ToolNumber', 'PartCountType', 'ProgramNestLevel', 'ProcessTime']);

export interface SampleMapOptions {
  /** Prefix put before every asset path (e.g. acme/hamburg/machining). */
  assetPrefix?: string;
  /** Tag from the data item's name (default) or always its id. */
  tagBy?: 'name' | 'id';
}

export function toTagSample(o: Observation, header: StreamsHeader, model: DeviceModel | undefined, opts: SampleMapOptions = {}): TagSample {
  const info = model?.dataItems.get(o.dataItemId);
  const tag = opts.tagBy === 'id' ? o.dataItemId : (o.name ?? info?.name ?? o.dataItemId);
  let value: string | number | null = o.value;
  if (value !== null && (o.category === 'SAMPLE' || NUMERIC_EVENTS.has(o.type))) {
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) value = n;
  }
  const path = info?.path ?? `${o.device}/${o.component}`;
  const asset = opts.assetPrefix ? `${opts.assetPrefix.replace(/\/+$/, '')}/${path}` : path;
  const ts = o.timestamp && !Number.isNaN(Date.parse(o.timestamp)) ? o.timestamp : header.creationTime;
  return makeSample(tag, value, {
    quality: o.unavailable ? 'bad' : 'good',
    sourceTimestamp: ts,
    serverTimestamp: header.creationTime,
    ...(info?.units ? { unit: info.units } : {}),
    asset,
  });
}
