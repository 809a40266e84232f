//! The compute fault scenario suite (`cloud_tests::conformance::compute_faults`) for every compute
//! provider over HTTP, each through the fault proxy in front of its server: EC2 on moto, Nova on
//! mimic (whose catalog points back through the proxy, since it names the host it was asked on), and
//! DigitalOcean on Prism serving its API document.

use std::sync::Arc;

use cloud_compute::CreateNode;
use cloud_tests::conformance::compute_faults::{ComputeFaultFixture, ComputeRequests};
use cloud_tests::conformance::faults::{any, matcher};
use http::Method;

mod ec2 {
    use super::*;
    use cloud_aws::{Credentials, Ec2Builder};
    use cloud_tests::servers::moto;

    async fn fixture() -> ComputeFaultFixture {
        // Every Query API call is a POST to `/`: the faults go to the next call, whatever it is.
        let requests = ComputeRequests {
            listing: any(),
            create: any(),
            create_is_idempotent: true,
        };
        ComputeFaultFixture::new(
            &moto::endpoint(),
            requests,
            CreateNode::new("faults", "t2.micro", "chosen below"),
            |endpoint, client| {
                Arc::new(
                    Ec2Builder::new()
                        .endpoint(endpoint)
                        .credentials(Credentials::new(moto::ACCESS_KEY, moto::SECRET_KEY))
                        .http_client(client)
                        .build()
                        .expect("EC2 driver"),
                )
            },
            (),
        )
        .await
        .creating("faults", "t2.micro")
        .await
    }

    cloud_tests::compute_faults!(fixture);
}

mod nova {
    use super::*;
    use cloud_openstack::{Credentials, ImageApi, NovaBuilder};
    use cloud_tests::servers::mimic;

    async fn fixture() -> ComputeFaultFixture {
        let requests = ComputeRequests {
            listing: matcher(|m, t| m == Method::GET && t.contains("/servers/detail")),
            create: matcher(|m, t| {
                m == Method::POST && t.split('?').next().unwrap_or(t).ends_with("/servers")
            }),
            create_is_idempotent: false,
        };
        let tenant = format!("faults-{}-{:x}", std::process::id(), fastrand_u32());
        ComputeFaultFixture::new(
            &mimic::endpoint(),
            requests,
            CreateNode::new("faults", "2", "chosen below"),
            move |endpoint, client| {
                let auth = format!("{endpoint}/identity/v2.0");
                Arc::new(
                    NovaBuilder::new()
                        .credentials(Credentials::password(auth, &tenant, "any", &tenant))
                        .region(mimic::REGION)
                        .compute_service_name("cloudServersOpenStack")
                        .image_api(ImageApi::Nova)
                        .http_client(client)
                        .build()
                        .expect("Nova driver"),
                )
            },
            (),
        )
        .await
        .creating("faults", "2")
        .await
    }

    fn fastrand_u32() -> u32 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos()
    }

    cloud_tests::compute_faults!(fixture);
}

mod digitalocean {
    use super::*;
    use cloud_digitalocean::DropletsBuilder;
    use cloud_tests::servers::prism;

    async fn fixture() -> ComputeFaultFixture {
        let requests = ComputeRequests {
            listing: matcher(|m, t| m == Method::GET && t.starts_with("/v2/droplets")),
            create: matcher(|m, t| {
                m == Method::POST && t.split('?').next() == Some("/v2/droplets")
            }),
            create_is_idempotent: false,
        };
        ComputeFaultFixture::new(
            &prism::digitalocean(),
            requests,
            CreateNode::new("faults", "s-1vcpu-1gb", "63663980").location("nyc3"),
            |endpoint, client| {
                Arc::new(
                    DropletsBuilder::new()
                        .endpoint(endpoint)
                        .token(prism::TOKEN)
                        .region("nyc3")
                        .http_client(client)
                        .build()
                        .expect("DigitalOcean driver"),
                )
            },
            (),
        )
        .await
    }

    cloud_tests::compute_faults!(fixture);
}
