export * from './types';
export * from './status';
export * from './input';
export * from './close';
export * from './migrate';
export * from './registry';
export * from './admin';
export * from './define';
