//! `cxhost tenant …`: offline commands on a stopped server's data directory.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Export a tenant's data as one Parquet file per table plus manifest.json (read-only;
    /// stop the server first). `cxhost plugin run --data DIR` loads the export.
    Export {
        /// The server's data directory.
        #[arg(long, env = "CXHOST_DATA_DIR", default_value = "cxhost-data")]
        data_dir: PathBuf,
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// The directory to write (created if needed).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(command: TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::Export { data_dir, tenant, out } => {
            let manifest = cxhost::store::export::export_tenant(&data_dir, &tenant, &out)?;
            println!("{}", serde_json::to_string_pretty(&manifest)?);
            Ok(())
        }
    }
}
