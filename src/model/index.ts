export * from './errors';
export * from './sample';
export * from './quality';
