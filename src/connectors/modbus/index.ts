/** Modbus TCP connector: register map, codec, request planning, client with one queue per device, poller, writer. No Node-RED needed. */
export * from './codec';
export * from './register-map';
export * from './plan';
export * from './errors';
export * from './transport';
export * from './client';
export * from './poller';
export * from './writer';
export * from './settings';
export * from './device';
export * from './status';
