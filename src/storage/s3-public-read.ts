import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';

const SID = 'image-resizer-public-read';

interface Statement {
  Sid?: string;
  [key: string]: unknown;
}

async function statementsOf(client: S3Client, bucket: string): Promise<Statement[]> {
  try {
    const { Policy } = await client.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    const listed = (JSON.parse(Policy ?? '{}') as { Statement?: Statement | Statement[] })
      .Statement;
    // IAM allows a single statement object as well as a list.
    return listed === undefined ? [] : Array.isArray(listed) ? listed : [listed];
  } catch (err) {
    const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
    if (status === 404) return []; // NoSuchBucketPolicy
    throw err;
  }
}

/**
 * Makes the bucket policy say what S3_PUBLIC_READ says: with it, anyone may GET objects under the
 * key prefix (GetObject only: no listing, no writes; the whole bucket when the prefix is empty,
 * which suits a bucket that holds only variants); without it, that statement is removed again, so
 * turning the setting off does not leave the bucket public. Statements others put in the policy
 * are kept. On AWS, a new bucket's Block Public Access refuses such a policy (AccessDenied) until
 * the account's owner allows public policies for it: a decision this task does not take for them.
 */
export async function applyPublicRead(
  client: S3Client,
  bucket: string,
  prefix: string,
  enabled: boolean,
): Promise<void> {
  const statements = await statementsOf(client, bucket);
  const others = statements.filter((st) => st.Sid !== SID);
  if (!enabled && others.length === statements.length) return;
  if (!enabled && others.length === 0) {
    await client.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    return;
  }
  const ours: Statement = {
    Sid: SID,
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${bucket}/${prefix}*`,
  };
  const Policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: enabled ? [...others, ours] : others,
  });
  await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy }));
}
