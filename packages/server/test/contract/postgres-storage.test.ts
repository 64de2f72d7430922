import { freshDatabase, openStorageAt, serviceAvailable } from '../support/databases.js';
import { storageContract } from './storage-contract.js';

const available = await serviceAvailable('postgres');

storageContract(
  'postgres',
  async () => {
    const url = await freshDatabase('postgres');
    return () => openStorageAt(url);
  },
  { skip: !available },
);
