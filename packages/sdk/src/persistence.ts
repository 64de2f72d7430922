/** Where the store's cache is kept: `localStorage`, `wx.setStorage`, or memory. A cache, never the truth. */
export interface PersistenceAdapter {
  load(key: string): Promise<string | null> | string | null;
  save(key: string, value: string): Promise<void> | void;
  remove?(key: string): Promise<void> | void;
}

/** Keeps the cache in memory (tests, or no persistence wanted). */
export function memoryPersistence(): PersistenceAdapter & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    load: (key) => data.get(key) ?? null,
    save: (key, value) => {
      data.set(key, value);
    },
    remove: (key) => {
      data.delete(key);
    },
  };
}

/** The subset of the Web Storage API used. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Keeps the cache in `localStorage` (or any Web Storage); quota errors are ignored. */
export function webStoragePersistence(storage: StorageLike): PersistenceAdapter {
  return {
    load: (key) => {
      try {
        return storage.getItem(key);
      } catch {
        return null;
      }
    },
    save: (key, value) => {
      try {
        storage.setItem(key, value);
      } catch {
        // full or disabled storage: the cache is optional
      }
    },
    remove: (key) => {
      try {
        storage.removeItem(key);
      } catch {}
    },
  };
}
