//! `cloud`: list, copy, stream and remove objects on any provider from the command line.
//!
//! ```text
//! cloud --local-root /srv/objects cp --recursive ./photos local://archive/photos
//! cloud ls local://archive/photos/
//! cloud cat local://archive/notes.txt
//! ```
//!
//! URLs name a provider, a container and a key: `local://container/key` (root from `--local-root` or
//! `CLOUD_LOCAL_ROOT`), `memory://container/key`, `s3://bucket/key` (configured by the usual `AWS_*`
//! variables and profiles, `AWS_ENDPOINT_URL` for S3-compatible services), `az://container/blob` or `azure://…` (configured by
//! `AZURE_STORAGE_CONNECTION_STRING`, or `AZURE_STORAGE_ACCOUNT` with `AZURE_STORAGE_KEY` or
//! `AZURE_STORAGE_SAS_TOKEN`; `UseDevelopmentStorage=true` for Azurite), `gs://bucket/object` or
//! `gcs://…` (Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's login, the
//! metadata server; `GOOGLE_CLOUD_PROJECT`; `STORAGE_EMULATOR_HOST` for an emulator),
//! `swift://container/object` (the `OS_*` variables of an OpenStack RC file: Keystone v3 or
//! tempauth). An argument without a scheme
//! is a plain local file or folder. A user error prints one line and exits with status 1.

mod cat;
mod compute;
mod containers;
mod cp;
mod location;
mod ls;
mod report;
mod rm;
mod stat;
mod whoami;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cloud::storage::OpenOptions;

use location::Location;
use report::Output;

/// Object storage on any provider, from the command line.
#[derive(Debug, Parser)]
#[command(name = "cloud", version, about, max_term_width = 100)]
struct Cli {
    /// Root folder of local:// URLs.
    #[arg(long, global = true, env = "CLOUD_LOCAL_ROOT", value_name = "DIR")]
    local_root: Option<PathBuf>,

    /// Print JSON (one object per line) instead of text.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List containers (URL without a container), or objects and folders under a prefix.
    Ls {
        /// `scheme://` or `scheme://container/prefix`.
        url: String,
        /// List every object under the prefix instead of one folder level.
        #[arg(short, long)]
        recursive: bool,
    },
    /// Make a container.
    Mb {
        /// `scheme://container`.
        url: String,
    },
    /// Remove a container.
    Rb {
        /// `scheme://container`.
        url: String,
        /// Delete every object in it first.
        #[arg(long)]
        force: bool,
        /// Deletions at once (with --force).
        #[arg(
            long,
            env = "CLOUD_CONCURRENCY",
            default_value_t = 16,
            value_name = "N"
        )]
        concurrency: usize,
    },
    /// Copy a file or object; with --recursive, the contents of a folder or prefix.
    Cp {
        /// Source: a local path or a URL.
        src: String,
        /// Destination: a local path or a URL.
        dst: String,
        /// Copy the contents of SRC under DST.
        #[arg(short, long)]
        recursive: bool,
        /// Files copied at once.
        #[arg(
            long,
            env = "CLOUD_CONCURRENCY",
            default_value_t = 16,
            value_name = "N"
        )]
        concurrency: usize,
        /// Print a line for every file copied.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Write an object's content to standard output.
    Cat {
        /// `scheme://container/key`.
        url: String,
    },
    /// Remove an object; with --recursive, every object under a prefix.
    Rm {
        /// `scheme://container/key`.
        url: String,
        /// Remove every object under the prefix.
        #[arg(short, long)]
        recursive: bool,
        /// Deletions at once.
        #[arg(
            long,
            env = "CLOUD_CONCURRENCY",
            default_value_t = 16,
            value_name = "N"
        )]
        concurrency: usize,
    },
    /// Show what is known about a container or an object.
    Stat {
        /// `scheme://container` or `scheme://container/key`.
        url: String,
    },
    /// Which AWS credentials the default chain finds: their source, whose they are, when they expire.
    Whoami,
    /// Nodes, sizes, images, locations, key pairs, volumes and snapshots.
    Compute {
        /// The provider: `ec2`, `digitalocean`, `openstack`, or `memory` (a simulated cloud that lives as long as the
        /// command).
        #[arg(long, env = "CLOUD_COMPUTE_PROVIDER", default_value = "memory")]
        provider: String,
        /// Send requests here instead of the provider's own endpoint (a test server); each provider's
        /// own variable works too (`AWS_ENDPOINT_URL_EC2`, `DIGITALOCEAN_API_URL`, `OS_COMPUTE_API_URL`).
        #[arg(long)]
        endpoint: Option<String>,
        #[command(subcommand)]
        command: compute::ComputeCommand,
    },
}

async fn run(cli: Cli) -> cloud::Result<()> {
    let mut options = OpenOptions::default();
    options.local_root = cli.local_root;
    let output = Output { json: cli.json };
    match cli.command {
        Command::Ls { url, recursive } => {
            ls::run(&Location::remote(&url, &options)?, recursive, output).await
        }
        Command::Mb { url } => containers::make(&Location::remote(&url, &options)?, output).await,
        Command::Rb {
            url,
            force,
            concurrency,
        } => {
            containers::remove(
                &Location::remote(&url, &options)?,
                force,
                concurrency.max(1),
                output,
            )
            .await
        }
        Command::Cp {
            src,
            dst,
            recursive,
            concurrency,
            verbose,
        } => {
            let src = Location::parse(&src, &options)?;
            let dst = Location::parse(&dst, &options)?;
            cp::run(src, dst, recursive, concurrency, output, verbose).await
        }
        Command::Cat { url } => cat::run(&Location::remote(&url, &options)?).await,
        Command::Rm {
            url,
            recursive,
            concurrency,
        } => {
            rm::run(
                &Location::remote(&url, &options)?,
                recursive,
                concurrency.max(1),
                output,
            )
            .await
        }
        Command::Stat { url } => stat::run(&Location::remote(&url, &options)?, output).await,
        Command::Whoami => whoami::run(output).await,
        Command::Compute {
            provider,
            endpoint,
            command,
        } => compute::run(&provider, endpoint.as_deref(), command, output).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cloud: could not start: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cloud: {err}");
            ExitCode::FAILURE
        }
    }
}
