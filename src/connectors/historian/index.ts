export * from './types';
export * from './postgres';
export * from './influx';
export * from './settings';
