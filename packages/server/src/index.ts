/** Embedding API of the MiniIM server. */
export { type CreateServerOptions, createServer, type MiniImServer } from './app.js';
export { ConfigError } from './config/config.js';
export { loadServerConfig as loadConfig, type ServerConfig as Config } from './server-config.js';
