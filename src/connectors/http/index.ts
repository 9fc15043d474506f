export * from './client';
export * from './oauth2';
