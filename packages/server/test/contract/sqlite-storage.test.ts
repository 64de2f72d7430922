import path from 'node:path';
import { openSqliteStorage } from '../../src/storage/sqlite-storage.js';
import { tempDir } from '../support/server.js';
import { storageContract } from './storage-contract.js';

storageContract('sqlite', () => openSqliteStorage(path.join(tempDir(), 'contract.sqlite')));
