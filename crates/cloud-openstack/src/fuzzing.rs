//! Entry points for fuzzing every parser of what OpenStack sends (the `fuzzing` feature, for
//! `cargo xtask fuzz`): Keystone tokens and catalogs, fault bodies, Swift, Nova, Glance and Cinder.

use cloud_core::fuzzing::{error_parser, Target};

/// Every OpenStack target.
pub fn targets() -> Vec<Target> {
    let mut all = vec![
        Target {
            name: "openstack: Keystone tokens and catalogs",
            seeds: &[
                r#"{"token":{"methods":["password"],"expires_at":"2026-12-07T23:00:00.000000Z","issued_at":"2026-12-07T11:00:00.000000Z","project":{"id":"p1","name":"demo","domain":{"id":"default","name":"Default"}},"catalog":[{"type":"object-store","name":"swift","id":"s1","endpoints":[{"id":"e1","interface":"public","region_id":"RegionOne","region":"RegionOne","url":"https://swift.example.com/v1/AUTH_p1"}]},{"type":"compute","name":"nova","endpoints":[{"interface":"public","region":"RegionOne","url":"https://nova.example.com/v2.1"}]}]}}"#,
                r#"{"access":{"token":{"id":"tok","expires":"2026-12-07T23:00:00-05:00","tenant":{"id":"t1","name":"demo"}},"serviceCatalog":[{"type":"compute","name":"cloudServersOpenStack","endpoints":[{"region":"ORD","publicURL":"http://127.0.0.1/v2/t1","internalURL":"http://10.0.0.1/v2/t1"}]}],"user":{"id":"u1","name":"demo"}}}"#,
            ],
            run: crate::auth::read_token_answers,
        },
        Target {
            name: "openstack: fault bodies (Keystone, Nova, Cinder)",
            seeds: &[
                r#"{"itemNotFound": {"message": "Instance 9168 could not be found.", "code": 404}}"#,
                r#"{"overLimit": {"message": "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances", "code": 413, "retryAfter": "0"}}"#,
                r#"{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}"#,
                r#"{"badRequest": {"message": "Invalid key_name provided.", "code": 400}}"#,
            ],
            run: |input| error_parser(&crate::error::OpenStackErrors, input),
        },
    ];
    all.extend(crate::swift::fuzzing::targets());
    all.extend(crate::nova::fuzzing::targets());
    all
}
