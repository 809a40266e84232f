//! Choosing the endpoint from a Keystone catalog (v3 and v2), by type, interface and region.

use super::*;

fn choose(
    catalog: &[Service],
    kind: &'static [&'static str],
    region: Option<&str>,
    interface: &str,
) -> Result<String> {
    endpoint(
        catalog,
        &Wanted::required(kind),
        &EndpointChoice {
            region: region.map(str::to_owned),
            interface: interface.to_owned(),
        },
    )
}

#[test]
fn finds_the_object_store_by_interface_and_region() {
    // The shape of Keystone's documented answer to POST /v3/auth/tokens.
    let body: TokenBody = serde_json::from_str(
        r#"{"token":{"methods":["password"],"expires_at":"2026-12-06T20:00:00.000000Z",
          "catalog":[
            {"type":"identity","endpoints":[{"interface":"public","region_id":"RegionOne","url":"https://k/v3"}]},
            {"type":"object-store","name":"swift","endpoints":[
              {"interface":"internal","region_id":"RegionOne","region":"RegionOne","url":"http://10.0.0.1:8080/v1/AUTH_p"},
              {"interface":"public","region_id":"RegionOne","region":"RegionOne","url":"https://swift.one/v1/AUTH_p"},
              {"interface":"public","region_id":"RegionTwo","region":"RegionTwo","url":"https://swift.two/v1/AUTH_p"}]}]}}"#,
    )
    .unwrap();
    let catalog = &body.token.catalog;
    let store = &["object-store"];
    assert_eq!(
        choose(catalog, store, Some("RegionTwo"), "public").unwrap(),
        "https://swift.two/v1/AUTH_p"
    );
    assert_eq!(
        choose(catalog, store, None, "internal").unwrap(),
        "http://10.0.0.1:8080/v1/AUTH_p"
    );
    let err = choose(catalog, store, Some("RegionThree"), "public").unwrap_err();
    assert!(err.to_string().contains("public in RegionOne"), "{err}");
    let err = choose(catalog, &["compute"], None, "public").unwrap_err();
    assert!(err.to_string().contains("no compute endpoint"), "{err}");
    assert_eq!(
        tokens_url("https://k:5000/v3/"),
        "https://k:5000/v3/auth/tokens"
    );
    assert_eq!(
        tokens_url("https://k:5000"),
        "https://k:5000/v3/auth/tokens"
    );
}

#[test]
fn reads_a_keystone_v2_catalog_and_prefers_the_first_type_present() {
    // The shape of Keystone v2.0's documented answer to POST /v2.0/tokens.
    let body: AccessBody = serde_json::from_str(
        r#"{"access":{"token":{"id":"tok","expires":"2026-12-08T10:58:39Z","tenant":{"id":"t"}},
          "serviceCatalog":[
            {"name":"cinderv2","type":"volumev2","endpoints":[{"region":"ORD","publicURL":"https://c/v2/t"}]},
            {"name":"nova","type":"compute","endpoints":[
              {"region":"ORD","publicURL":"https://n.ord/v2/t","internalURL":"http://n.internal/v2/t"},
              {"region":"DFW","publicURL":"https://n.dfw/v2/t/"}]},
            {"name":"control","type":"compute","endpoints":[{"region":"ORD","publicURL":"https://ctl/v2/t"}]}]}}"#,
    )
    .unwrap();
    assert_eq!(body.access.token.id, "tok");
    let catalog: Vec<Service> = body.access.catalog.into_iter().map(Service::from).collect();
    assert_eq!(
        choose(&catalog, &["compute"], Some("DFW"), "public").unwrap(),
        "https://n.dfw/v2/t"
    );
    assert_eq!(
        choose(&catalog, &["compute"], Some("ORD"), "internal").unwrap(),
        "http://n.internal/v2/t"
    );
    let named = Wanted::required(&["compute"]).named(Some("control".into()));
    let choice = EndpointChoice {
        region: None,
        interface: "public".into(),
    };
    assert_eq!(
        endpoint(&catalog, &named, &choice).unwrap(),
        "https://ctl/v2/t"
    );
    assert_eq!(
        choose(&catalog, &["volumev3", "volumev2"], None, "public").unwrap(),
        "https://c/v2/t"
    );
    assert!(is_v2("https://k:5000/v2.0/") && !is_v2("https://k:5000/v3"));
}
