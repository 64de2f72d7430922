/** Embedding API of the MiniIM server. */
export { type CreateServerOptions, createServer, type MiniImServer } from './app.js';
export { type Config, ConfigError, loadConfig } from './config/config.js';
