/**
 * Dialog settings of `plantwire-mqtt-in` and `plantwire-mqtt-out`, validated
 * without Node-RED: each problem is a PlantwireError naming the field.
 */
import { PlantwireError } from '../../model/errors';
import { parseFields } from '../../model/fields';
import { numberSetting } from '../../model/settings';
import { qosField } from './field-pieces';
import { mqttInFields, type InFormat } from './in-fields';
import { mqttOutFields } from './out-fields';
import type { NodeConfig } from '../../model/node-red-types';
import type { BufferConfig } from '../../buffer/settings';
import { DataType, PUBLISHABLE_TYPES, type DataTypeName } from './sparkplug/payload';
import { edgeOptionProblems } from './sparkplug/edge';
import { NAMESPACE, readSparkplugId } from './sparkplug/topic';
import { templateProblems, UNS_PAYLOADS, type UnsPayload } from './uns';
import { typedAssetPath, typedSetting, type TypedSetting } from '../../model/settings';

export type { InFormat } from './in-fields';

export interface MqttInConfig extends NodeConfig {
  broker?: string;
  topics?: string;
  qos?: number | string;
  format?: string;
  assetLevels?: number | string;
  output?: string;
  group?: string;
  tagNames?: string;
  rebirth?: boolean | string;
  rebirthHoldoff?: number | string;
  hostId?: string;
}

export interface MqttInSettings {
  filters: string[];
  qos: 0 | 1 | 2;
  format: InFormat;
  assetLevels: number;
  output: 'each' | 'batch';
  /** Sparkplug mode */
  group: string;
  tagNames: 'path' | 'metric';
  rebirth: boolean;
  rebirthHoldoffMs: number;
  /** Sparkplug host application id: publish STATE (birth/will) on an own connection. */
  hostId: string;
}

function bool(v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null || v === '') return fallback;
  return v === true || v === 'true';
}

/** mqtt-in's settings, read by its field spec (./in-fields.ts): a bad value is a `bad-config` error naming the field. */
export function mqttInSettings(config: MqttInConfig): MqttInSettings {
  const s = parseFields(mqttInFields, config as unknown as Record<string, unknown>);
  const format = s.format as InFormat;
  const sparkplug = format === 'sparkplug';
  // Out of Sparkplug mode the group and host id are not read (a host id would open a host connection).
  const group = sparkplug ? s.group : '';
  const filters = sparkplug ? [group ? `${NAMESPACE}/${group}/#` : `${NAMESPACE}/#`] : s.topics;
  return {
    filters,
    qos: s.qos,
    format,
    assetLevels: s.assetLevels,
    output: s.output as MqttInSettings['output'],
    group,
    tagNames: s.tagNames as MqttInSettings['tagNames'],
    rebirth: s.rebirth,
    rebirthHoldoffMs: s.rebirthHoldoff,
    hostId: sparkplug ? s.hostId : '',
  };
}

export interface MqttOutConfig extends NodeConfig, BufferConfig {
  broker?: string;
  mode?: string;
  template?: string;
  templateType?: string;
  asset?: string;
  /** where the default asset path comes from: str (default), msg, flow, global, env */
  assetType?: string;
  payload?: string;
  qos?: number | string;
  retain?: boolean | string;
  group?: string;
  edgeNode?: string;
  device?: string;
  aliases?: boolean | string;
  primaryHost?: string;
  metrics?: Array<{ name?: unknown; type?: unknown }>;
  buffer?: number | string;
}

export interface MqttOutSettings {
  mode: 'uns' | 'template' | 'sparkplug';
  template: string;
  /** where the topic template comes from: fixed (`template`), or read per message from msg/flow/global/env (evaluate it, then `typedTemplate`) */
  templateSource: TypedSetting;
  /** the default asset path when it is a fixed string ('' when it comes from msg/flow/global/env) */
  asset: string;
  /** where the default asset path comes from; evaluate it per message with `defaultAssetPath` */
  assetSource: TypedSetting;
  payload: UnsPayload;
  qos: 0 | 1 | 2;
  retain: boolean;
  group: string;
  edgeNode: string;
  device: string;
  aliases: boolean;
  primaryHost: string;
  metrics: Array<{ name: string; type: DataTypeName }>;
  buffer: number;
}

export function mqttOutSettings(config: MqttOutConfig): MqttOutSettings {
  const mode = config.mode || 'uns';
  if (mode !== 'uns' && mode !== 'template' && mode !== 'sparkplug') throw new PlantwireError('bad-config', `mode must be uns, template or sparkplug, got ${JSON.stringify(mode)}`, 'bad mode');
  const templateSource = typedSetting(config.template, config.templateType, 'topic template');
  const template = templateSource.type === 'str' ? (config.template ?? '').trim() : '';
  if (mode === 'template' && templateSource.type === 'str') {
    const problems = templateProblems(template);
    if (problems.length) throw new PlantwireError('bad-config', problems.join('; '), problems[0]);
  }
  const payload = (config.payload || 'sample') as UnsPayload;
  if (!UNS_PAYLOADS.includes(payload)) throw new PlantwireError('bad-config', `payload must be sample, compact or value, got ${JSON.stringify(config.payload)}`, 'bad payload shape');
  const qos = qosField.parse(config.qos);
  const assetSource = typedSetting(config.asset, config.assetType, 'default asset path');
  const asset = assetSource.type === 'str' ? defaultAssetPath(assetSource.value, assetSource) ?? '' : '';
  const group = (config.group ?? '').trim();
  const edgeNode = (config.edgeNode ?? '').trim();
  const device = (config.device ?? '').trim();
  const metrics: Array<{ name: string; type: DataTypeName }> = [];
  if (mode === 'sparkplug') {
    const problems = edgeOptionProblems({ group, edgeNode, device: device || undefined });
    if (problems.length) throw new PlantwireError('bad-config', problems.join('; '), problems[0]);
    readSparkplugId(config.primaryHost, 'primary host id');
    const seen = new Set<string>();
    (Array.isArray(config.metrics) ? config.metrics : []).forEach((m, i) => {
      const name = typeof m?.name === 'string' ? m.name.trim() : '';
      const type = m?.type;
      if (!name) throw new PlantwireError('bad-config', `metric row ${i + 1}: the name is empty`, `metric row ${i + 1}: no name`);
      if (!PUBLISHABLE_TYPES.includes(type as (typeof PUBLISHABLE_TYPES)[number]) || !(type as string in DataType)) {
        throw new PlantwireError('bad-config', `metric row ${i + 1} ("${name}"): datatype must be one of ${PUBLISHABLE_TYPES.join(', ')}, got ${JSON.stringify(type)}`, `metric row ${i + 1}: bad datatype`);
      }
      if (seen.has(name)) throw new PlantwireError('bad-config', `metric row ${i + 1}: "${name}" is listed twice`, `metric "${name}" listed twice`);
      seen.add(name);
      metrics.push({ name, type: type as DataTypeName });
    });
  }
  const settings: MqttOutSettings = {
    mode,
    template,
    templateSource,
    asset,
    assetSource,
    payload,
    qos,
    retain: bool(config.retain, false),
    group,
    edgeNode,
    device,
    aliases: bool(config.aliases, true),
    primaryHost: (config.primaryHost ?? '').trim(),
    metrics,
    buffer: numberSetting(config, 'buffer', { default: 10_000, min: 0, max: 10_000_000, integer: true, label: 'store and forward buffer' }),
  };
  // The rest of the dialog's rules (./out-fields.ts), after the checks above that name each problem.
  parseFields(mqttOutFields, config as unknown as Record<string, unknown>);
  return settings;
}

/**
 * The default asset path from a typed source's value: text with surrounding
 * slashes removed, no MQTT wildcards; nothing (undefined) when it is empty or unset.
 */
export function defaultAssetPath(value: unknown, source: TypedSetting): string | undefined {
  return typedAssetPath(value, source, 'default asset path');
}
