/**
 * @plantwire/node-red/sdk — the public SDK for Node-RED palettes: what
 * Plantwire's own nodes are built with, no second API. Vendors' palettes get
 * the same exports from the package @plantwire/sdk (packages/sdk, one bundle
 * of this file built by scripts/build.mjs, no Node-RED nodes of its own).
 *
 * Semver promise: everything exported here follows semantic versioning from
 * 1.0.0 on (before 1.0.0: a minor release may change it, a patch release
 * never does, and every change is in the changelog). A name removed or a
 * signature narrowed is a major release; additions are minor. Anything not
 * exported here (deep paths under dist/) is internal and may change in any
 * release. docs/api/ is the API reference, generated from these types by
 * `npm run docs:api` (typedoc); test/unit/sdk-api-docs.test.ts fails when it
 * is stale.
 */

// Defining nodes: migrations, configuration errors, the one input/error path, close, status.
export { defineNode, type NodeSpec, type CredentialsSpec } from '../runtime/define';
export { onInput, reportError, type InputHandler } from '../runtime/input';
export { onClose, CLOSE_TIMEOUT_MS } from '../runtime/close';
export { migrateConfig, type Migration, type VersionSpec } from '../runtime/migrate';
export { setStatus, clearStatus, statusObject, throttled, PHASE_STATUS, type ConnectionPhase, type ConnectionState, type StatusState } from '../runtime/status';
export type { RedApi, RedNode, NodeConfig, NodeMessage, SendFn, DoneFn, StatusObject } from '../runtime/types';

// Config nodes (connections): one owner per connection, users register/deregister, one backoff, one outage log.
export { ConnectionUsers, type ConnectionHooks, type ConnectionUser, type RetryOptions } from '../runtime/registry';
export { defineConfigNode, useConfig, findConfig, attachHandle, configHandle, type ConfigNodeSpec, type ConfigHandles } from '../runtime/config-node';
export type { Connector } from '../model/connector';
export { Backoff, backoffDelay } from '../model/backoff';
export { OutageLog } from '../model/outage-log';

// The tag-sample model and its checks; errors; settings.
export { makeSample, toSamples, isTagSample, assertTagSample, sampleProblems, toIsoTimestamp, QUALITIES, type TagSample, type SampleValue, type Quality, type SampleOptions, type CoerceOptions } from '../model/sample';
export { worstQuality } from '../model/quality';
export { PlantwireError, toError, shortStatus } from '../model/errors';
export { numberSetting, typedSetting, describeTyped, TYPED_SOURCES, type TypedSetting, type TypedSource } from '../model/settings';

// Field specs: one declaration per node for the dialog's defaults and validators, the runtime parsing and the help table.
export { defineFields, parseFields, fieldOk, type FieldSpec, type NodeSpec as FieldsSpec } from '../model/fields';
export { evaluateTyped } from '../runtime/typed-input';

// Sinks: the sink kit over the store-and-forward buffer, and its one error contract (transient: false = dead-lettered).
export { defineSink, type SinkSpec, type SinkParts, type SinkHandle, type Look } from '../runtime/sink';
export { isPermanent, type DeliveryFailure } from '../model/delivery';

// Store-and-forward for sinks: the durable queue, the Forwarder (retry, backoff, dead-letter), buffer settings.
export * as buffer from '../buffer/index';
