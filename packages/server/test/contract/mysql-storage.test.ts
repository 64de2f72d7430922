import { freshDatabase, openStorageAt, serviceAvailable } from '../support/databases.js';
import { storageContract } from './storage-contract.js';

const available = await serviceAvailable('mysql');

storageContract(
  'mysql',
  async () => {
    const url = await freshDatabase('mysql');
    return () => openStorageAt(url);
  },
  { skip: !available },
);
