use smart_treasury_local_cluster::{ClusterConfig, Confirmation, LocalCluster};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use std::time::Duration;

/// A local cluster on free ports with `slot` long slots that confirms as `confirmation`
/// says, and a client for it (reading at `confirmed`).
pub async fn start_cluster(slot: Duration, confirmation: Confirmation) -> (LocalCluster, RpcClient) {
    let config = ClusterConfig { slot_duration: slot, confirmation, ..ClusterConfig::ephemeral() };
    let cluster = LocalCluster::start(config).await.expect("the cluster starts");
    let rpc = smart_treasury_client::connect(&cluster.rpc_url());
    (cluster, rpc)
}
