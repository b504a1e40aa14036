use smart_treasury_local_cluster::{ClusterConfig, LocalCluster};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use std::time::Duration;

/// A local cluster on free ports with `slot` long slots, and a client for it.
pub async fn start_cluster(slot: Duration) -> (LocalCluster, RpcClient) {
    let cluster = LocalCluster::start(ClusterConfig { slot_duration: slot, ..ClusterConfig::ephemeral() })
        .await
        .expect("the cluster starts");
    let rpc = smart_treasury_client::connect(&cluster.rpc_url());
    (cluster, rpc)
}
