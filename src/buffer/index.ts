export * from './queue';
export * from './forwarder';
export * from './registry';
export * from './settings';
