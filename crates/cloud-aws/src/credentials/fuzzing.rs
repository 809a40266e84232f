//! What credential services send, as fuzz targets: STS answers and the JSON of IMDS, the container
//! endpoints and credential processes.

use cloud_core::fuzzing::Target;
use cloud_core::ManualClock;

use super::process::CredentialsJson;

pub(crate) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "aws: STS answers",
            seeds: &[
                r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn><AssumedRoleId>ARO123EXAMPLE123:s</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey><SessionToken>AQoDYXdzEPT</SessionToken><Expiration>2026-12-07T23:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>c6104cbe</RequestId></ResponseMetadata></AssumeRoleResponse>"#,
                r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><SessionToken>AQoDYXdzE</SessionToken><SecretAccessKey>wJalrXUtnFEMI</SecretAccessKey><Expiration>2026-12-07T23:00:00.000Z</Expiration><AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"#,
                r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice</Arn><UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"#,
            ],
            run: |input| {
                let clock = ManualClock::new();
                super::sts::read_answers(&String::from_utf8_lossy(input), &clock);
            },
        },
        Target {
            name: "aws: credential JSON (IMDS, containers, processes)",
            seeds: &[
                r#"{"Code":"Success","LastUpdated":"2026-12-07T10:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIA","SecretAccessKey":"secret","Token":"token","Expiration":"2026-12-07T16:00:00Z"}"#,
                r#"{"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"secret","SessionToken":"t","Expiration":"2026-12-07T16:00:00+00:00"}"#,
            ],
            run: |input| {
                let clock = ManualClock::new();
                if let Ok(json) = serde_json::from_slice::<CredentialsJson>(input) {
                    let _ = json.into_token(&clock, "fuzz");
                }
            },
        },
    ]
}
