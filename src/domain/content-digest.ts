import { Blake3Hasher, blake3 } from '@napi-rs/blake-hash';

// The content address of an upload (its `id`, the folder of its objects in S3) is its BLAKE3
// digest, 256 bits in hex, as `b3sum` prints it. BLAKE3 and not SHA-256: a dedupe hit is little
// more than receiving the body and hashing it on the main thread, and here BLAKE3 hashes a
// 1.5 MiB upload in 0.25 ms against SHA-256's 1.0 ms, with SHA extensions (docs/performance.md,
// "BLAKE3 for the content address"). Both are collision-resistant, which a content address
// needs: two uploads with one id would be given each other's variants.
//
// A native module, the one outside sharp: this is the only file that imports it. package.json
// pins 1.3.4 exactly because 1.3.6 was published with linux-x64 binaries only (no Mac, no arm64);
// test/unit/repo-hygiene.test.ts fails if the lockfile lacks a platform's binary.

/** The name stored beside the digest (object metadata), so a reader knows how to check it. */
export const DIGEST_NAME = 'blake3';

/** What a digest looks like (keys check it; the OpenAPI document publishes it). */
export const DIGEST_PATTERN = /^[0-9a-f]{64}$/;

/** An incremental digest, fed as the bytes arrive. */
export const createDigest = () => new Blake3Hasher();
export type Digest = ReturnType<typeof createDigest>;

/** The digest of bytes already whole. */
export const digestOf = (data: Buffer) => blake3(data).toString('hex');
