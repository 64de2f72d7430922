/** Embedding API of the MiniIM server. */
export { createServer, type MiniImServer, type CreateServerOptions } from './app.js';
export { loadConfig, ConfigError, type Config } from './config/config.js';
