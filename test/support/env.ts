// s3rver accepts only its fixed credentials (S3RVER/S3RVER). Setting them here also keeps the
// SDK from picking up a developer's real AWS credentials or profile during tests.
process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;
