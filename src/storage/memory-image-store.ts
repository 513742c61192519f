import type { ImageStore, PutObjectInput } from './image-store';

/**
 * An ImageStore in a Map, for tests that are not about storage (and for trying the service
 * without an S3 server). Same contract as S3's adapter: a write of an existing key keeps the
 * first object, as a conditional PUT does, unless it asks to overwrite.
 */
export function createMemoryImageStore() {
  const objects = new Map<string, PutObjectInput>();
  const store: ImageStore = {
    head(key, signal) {
      signal?.throwIfAborted();
      const object = objects.get(key);
      return Promise.resolve(
        object && {
          key,
          bytes: object.body.length,
          contentType: object.contentType,
          metadata: { ...object.metadata },
        },
      );
    },
    put(input, signal) {
      signal?.throwIfAborted();
      if (input.overwrite || !objects.has(input.key)) objects.set(input.key, { ...input });
      return Promise.resolve();
    },
    ping: () => Promise.resolve(),
  };
  return { store, objects };
}
