//! Prism serving a provider's own API document (tests/data/specs), started by `cargo xtask test` with
//! `--errors`: a request the document does not allow is answered with an error (401 without
//! authorization, 404 for a path it lacks, 422 for a body or parameter it refuses) and logged as a
//! violation, which fails the run. Valid requests get the document's examples; nothing is kept.

/// The endpoint of Prism serving DigitalOcean's API v2; panics with instructions when there is none.
pub fn digitalocean() -> String {
    match std::env::var("CLOUD_TEST_PRISM_DIGITALOCEAN") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => panic!(
            "Prism is not running. `cargo xtask test` installs and starts it; by hand: \
             `npm install --prefix .cache/npm-prism @stoplight/prism-cli@5`, \
             `.cache/npm-prism/node_modules/.bin/prism mock --errors -h 127.0.0.1 -p 4010 tests/data/specs/digitalocean-compute.yaml`, \
             then CLOUD_TEST_PRISM_DIGITALOCEAN=http://127.0.0.1:4010"
        ),
    }
}

/// A token Prism accepts (it checks that one is sent, not which).
pub const TOKEN: &str = "dop_v1_prism_contract_token";
