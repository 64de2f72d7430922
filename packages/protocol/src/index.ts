/** MiniIM wire contract v1: types, validators, error and close codes, conversation ids. */
export * from './codes.js';
export * from './ids.js';
export * from './limits.js';
export * from './preview.js';
export * from './schemas.js';
export * from './types.js';
export * from './validate.js';
export * from './validate-groups.js';
