/**
 * Where verified dataset files are kept between visits: Cache Storage when the page has it, else
 * IndexedDB. Cache Storage exists only in secure contexts (https, localhost) and some private windows
 * refuse it; IndexedDB is offered more widely. (On a plain-http LAN address WebCrypto is missing too;
 * there files are hashed with the portable SHA-256 of ./verify.ts.) Both hold the decompressed bytes under
 * the same key; the store verifies them (SHA-256) every time they are read back, so neither is trusted.
 *
 * The IndexedDB side is four requests written out here rather than a dependency: get, put, delete and a
 * key count are all the store needs, each wrapped once in `request()`.
 */

export interface ByteCache {
  /** "Cache Storage" or "IndexedDB", for messages and tests. */
  readonly kind: 'Cache Storage' | 'IndexedDB';
  get(key: string): Promise<Uint8Array | undefined>;
  /** Whether `key` is present, without reading its bytes. */
  has(key: string): Promise<boolean>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
}

export const CACHE_NAME = 'normlab-datasets-v1';
/** IndexedDB database and object store of the fallback (one store, keys are the cache URLs). */
export const IDB_NAME = 'normlab-datasets';
export const IDB_STORE = 'files';

class CacheStorageCache implements ByteCache {
  readonly kind = 'Cache Storage';
  constructor(private readonly cache: Cache) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const hit = await this.cache.match(key);
    return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
  }

  async has(key: string): Promise<boolean> {
    return (await this.cache.match(key)) !== undefined;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.cache.put(key, new Response(bytes as BlobPart, { headers: { 'Content-Type': 'application/octet-stream' } }));
  }

  async delete(key: string): Promise<void> {
    await this.cache.delete(key);
  }
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

class IndexedDbCache implements ByteCache {
  readonly kind = 'IndexedDB';
  constructor(private readonly db: IDBDatabase) {}

  private store(mode: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction(IDB_STORE, mode).objectStore(IDB_STORE);
  }

  /** Resolves once the write is committed (a request's success precedes its transaction's commit). */
  private async write(op: (store: IDBObjectStore) => IDBRequest): Promise<void> {
    const tx = this.db.transaction(IDB_STORE, 'readwrite');
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write aborted (storage full?)'));
    });
    op(tx.objectStore(IDB_STORE));
    await done;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const value: unknown = await request(this.store('readonly').get(key));
    return value instanceof ArrayBuffer ? new Uint8Array(value) : undefined;
  }

  async has(key: string): Promise<boolean> {
    return (await request(this.store('readonly').count(key))) > 0;
  }

  put(key: string, bytes: Uint8Array): Promise<void> {
    // An exact ArrayBuffer (not a view into a larger one), so a read gives back just these bytes.
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    return this.write((store) => store.put(copy, key));
  }

  delete(key: string): Promise<void> {
    return this.write((store) => store.delete(key));
  }
}

async function openIndexedDb(): Promise<IDBDatabase> {
  const open = indexedDB.open(IDB_NAME, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(IDB_STORE);
  const db = await request(open);
  db.onversionchange = () => db.close(); // never block a later version (or a deletion) from another tab
  return db;
}

/**
 * The cache this page can use, or undefined when it has none (the lab then works without one).
 * Cache Storage first (it streams large bodies and shows up in the browser's storage tools as such),
 * IndexedDB where Cache Storage is missing or refused.
 */
export async function openByteCache(): Promise<ByteCache | undefined> {
  if (typeof caches !== 'undefined') {
    try {
      return new CacheStorageCache(await caches.open(CACHE_NAME));
    } catch {
      // refused (some private windows): try IndexedDB
    }
  }
  if (typeof indexedDB !== 'undefined') {
    try {
      return new IndexedDbCache(await openIndexedDb());
    } catch {
      // refused too: no cache
    }
  }
  return undefined;
}

/** Remove every cached dataset file, from both kinds of storage. */
export async function clearByteCaches(): Promise<void> {
  if (typeof caches !== 'undefined') await caches.delete(CACHE_NAME).catch(() => false);
  if (typeof indexedDB !== 'undefined') {
    await new Promise<void>((resolve) => {
      const r = indexedDB.deleteDatabase(IDB_NAME);
      r.onsuccess = r.onerror = r.onblocked = () => resolve();
    });
  }
}
