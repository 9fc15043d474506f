export * from './client';
export * from './oauth2';
export * from './cookies';
