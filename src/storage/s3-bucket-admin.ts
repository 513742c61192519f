import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  S3ServiceException,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { applyPublicRead } from './s3-public-read';

/** What the bucket needs besides existing: housekeeping rules, by id. */
const RULE_ID = 'image-resizer-abort-incomplete-uploads';

export interface BucketReport {
  bucket: string;
  created: boolean;
  lifecycleRules: string[];
  /** Anyone may GET the variants under the key prefix (S3_PUBLIC_READ). */
  publicRead: boolean;
}

export interface BucketOptions {
  /** S3_PUBLIC_READ: the variants are served from the bucket itself (S3_PUBLIC_BASE_URL). */
  publicRead: boolean;
  keyPrefix: string;
}

const status = (err: unknown) =>
  err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;

/**
 * Admin task (twelve-factor XII): makes sure the bucket exists and carries its lifecycle rule.
 * The service never uses multipart uploads, but anything else writing to the bucket might; the
 * rule makes S3 delete the parts of uploads left incomplete for a day, which would otherwise be
 * billed forever and never seen. Idempotent: run it on every release.
 */
export async function ensureBucket(
  client: S3Client,
  bucket: string,
  options: BucketOptions = { publicRead: false, keyPrefix: '' },
): Promise<BucketReport> {
  let created = false;
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (status(err) !== 404) throw err;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    created = true;
  }
  let rules: LifecycleRule[] = [];
  try {
    rules =
      (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ??
      [];
  } catch (err) {
    if (status(err) !== 404) throw err; // 404: NoSuchLifecycleConfiguration
  }
  if (!rules.some((r) => r.ID === RULE_ID)) {
    rules = [
      ...rules,
      {
        ID: RULE_ID,
        Status: 'Enabled',
        Filter: { Prefix: '' },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ];
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: rules },
      }),
    );
  }
  await applyPublicRead(client, bucket, options.keyPrefix, options.publicRead);
  return {
    bucket,
    created,
    lifecycleRules: rules.map((r) => r.ID ?? '(unnamed)'),
    publicRead: options.publicRead,
  };
}
