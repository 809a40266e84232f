//! Entry points for fuzzing every parser of what AWS sends (the `fuzzing` feature, for
//! `cargo xtask fuzz`): S3 and EC2 documents, Query API errors, STS and credential answers.

use cloud_core::fuzzing::{error_parser, Target};

/// Every AWS target.
pub fn targets() -> Vec<Target> {
    let mut all = crate::s3::fuzzing::targets();
    all.extend(crate::ec2::fuzzing::targets());
    all.extend(crate::credentials::fuzzing::targets());
    all.push(Target {
        name: "aws: Query API errors (EC2, STS)",
        seeds: &[
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-1' does not exist</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"#,
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error><RequestId>r</RequestId></ErrorResponse>"#,
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors></Response>",
        ],
        run: |input| error_parser(&crate::query_errors::QueryErrors, input),
    });
    all
}
