import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  S3ServiceException,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';

/** What the bucket needs besides existing: housekeeping rules, by id. */
const RULE_ID = 'image-resizer-abort-incomplete-uploads';

const PUBLIC_READ_SID = 'image-resizer-public-read';

export interface BucketReport {
  bucket: string;
  created: boolean;
  lifecycleRules: string[];
  /** Set only when asked for: anyone may GET the variants under the key prefix. */
  publicRead?: boolean;
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
  const report = { bucket, created, lifecycleRules: rules.map((r) => r.ID ?? '(unnamed)') };
  if (!options.publicRead) return report;
  await allowPublicRead(client, bucket, options.keyPrefix);
  return { ...report, publicRead: true };
}

interface PolicyStatement {
  Sid?: string;
  [key: string]: unknown;
}

/**
 * Lets anyone GET objects under the prefix (only GetObject: no listing, no writes), for a bucket
 * that serves the variants itself. Keeps the statements others put in the policy: only ours is
 * replaced. A public bucket's keys are guessable only with the upload's sha256, but anyone with
 * a URL can read the image: that is the point of a public variant, so it is off by default.
 */
async function allowPublicRead(client: S3Client, bucket: string, prefix: string) {
  let statements: PolicyStatement[] = [];
  try {
    const { Policy } = await client.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    statements = (JSON.parse(Policy ?? '{}') as { Statement?: PolicyStatement[] }).Statement ?? [];
  } catch (err) {
    if (status(err) !== 404) throw err; // 404: NoSuchBucketPolicy
  }
  const ours: PolicyStatement = {
    Sid: PUBLIC_READ_SID,
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${bucket}/${prefix}*`,
  };
  const Policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [...statements.filter((st) => st.Sid !== PUBLIC_READ_SID), ours],
  });
  await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy }));
}
