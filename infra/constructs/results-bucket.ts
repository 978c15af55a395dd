import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface ResultsBucketProps {
  /** Prefix of the bucket name; the account id is appended to keep it globally unique. */
  readonly namePrefix: string;
  readonly infrequentAccessAfterDays: number;
  readonly expireAfterDays: number;
  /** Expiry of the runs' working files under runs/ (results files, failed-order lists). */
  readonly workFilesExpireAfterDays: number;
}

/** Accepted order results for later analysis (SPEC 2.4): private, TLS only, encrypted, aged out. */
export class ResultsBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ResultsBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: `${props.namePrefix}-order-results-${Aws.ACCOUNT_ID}`,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      // Results are business records: never deleted with the stack. Except when the create that made the
      // (then empty) bucket rolls back: a retained bucket would keep its fixed name and fail the retry.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      lifecycleRules: [
        {
          id: 'age-out-results',
          transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(props.infrequentAccessAfterDays) }],
          expiration: Duration.days(props.expireAfterDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          id: 'expire-runs',
          prefix: 'runs/',
          expiration: Duration.days(props.workFilesExpireAfterDays),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
    });
    NagSuppressions.addResourceSuppressions(this.bucket, [{
      id: 'AwsSolutions-S1',
      reason: 'Only the run writes here, through roles scoped to results/* and runs/*; CloudTrail covers access auditing, so a second logs bucket adds cost without insight.',
    }]);
  }
}
